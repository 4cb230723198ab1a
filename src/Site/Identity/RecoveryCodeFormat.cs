using System.Security.Cryptography;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// Recovery codes: 10 characters from 32 that cannot be mistaken for one another (no 0, 1, I or O), so 50 bits each,
/// shown as <c>XXXXX-XXXXX</c> and accepted in either case, with or without the dash or spaces.
/// </summary>
public static class RecoveryCodeFormat
{
    public const string Alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    public const int Length = 10;

    /// <summary>A new code from <see cref="RandomNumberGenerator"/>, grouped for reading.</summary>
    public static string NewCode()
    {
        var code = RandomNumberGenerator.GetString(Alphabet, Length);
        return code[..5] + "-" + code[5..];
    }

    /// <summary>The code as it is hashed (upper case, no dash or spaces), or null when it cannot be a recovery code.</summary>
    public static string? Normalize(string? input)
    {
        if (input is null || input.Length > 40)
        {
            return null;
        }
        Span<char> chars = stackalloc char[Length];
        var n = 0;
        foreach (var c in input)
        {
            if (c is '-' or ' ')
            {
                continue;
            }
            var upper = char.ToUpperInvariant(c);
            if (n == Length || !Alphabet.Contains(upper, StringComparison.Ordinal))
            {
                return null;
            }
            chars[n++] = upper;
        }
        return n == Length ? new string(chars) : null;
    }

    public static bool IsWellFormed(string? input) => Normalize(input) is not null;
}
