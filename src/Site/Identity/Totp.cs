using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// RFC 6238 time-based codes as every authenticator app makes them by default: HMAC-SHA1 over the 30-second step
/// number since the Unix epoch, dynamic truncation (RFC 4226), 6 digits. Also the key's Base32 form (RFC 4648, no
/// padding) that apps read from the QR code or from the page.
/// </summary>
public static class Totp
{
    public const int KeyBytes = 20;
    public const int Digits = 6;
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    /// <summary>The 30-second step an instant falls in.</summary>
    public static long StepAt(DateTimeOffset at) => at.ToUnixTimeSeconds() / (long)Step.TotalSeconds;

    /// <summary>The code of one step, as six ASCII digits (leading zeros kept).</summary>
    public static string Code(ReadOnlySpan<byte> key, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> mac = stackalloc byte[20];
#pragma warning disable CA5350 // RFC 6238's default and what every app computes; HMAC-SHA1 is not weak as a MAC.
        HMACSHA1.HashData(key, counter, mac);
#pragma warning restore CA5350
        var offset = mac[^1] & 0x0F;
        var binary = (BinaryPrimitives.ReadInt32BigEndian(mac[offset..]) & 0x7FFFFFFF) % 1_000_000;
        return binary.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The step of <paramref name="code"/> among <paramref name="fromStep"/>..<paramref name="toStep"/>, or null. Every
    /// step's code is computed and compared in constant time, with no early exit, so the time taken tells nothing of
    /// which step (if any) matched or how many leading digits were right.
    /// </summary>
    public static long? MatchStep(ReadOnlySpan<byte> key, string? code, long fromStep, long toStep)
    {
        var submitted = Encoding.ASCII.GetBytes(IsWellFormed(code) ? code! : "xxxxxx");
        long? matched = null;
        for (var step = fromStep; step <= toStep; step++)
        {
            var expected = Encoding.ASCII.GetBytes(Code(key, step));
            if (CryptographicOperations.FixedTimeEquals(expected, submitted) && IsWellFormed(code))
            {
                matched = step;
            }
        }
        return matched;
    }

    /// <summary>Exactly six ASCII digits.</summary>
    public static bool IsWellFormed(string? code) => code is { Length: Digits } && code.All(char.IsAsciiDigit);

    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>RFC 4648 Base32 without padding (a 20-byte key is exactly 32 characters).</summary>
    public static string ToBase32(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder((bytes.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Base32Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0)
        {
            text.Append(Base32Alphabet[(buffer << (5 - bits)) & 31]);
        }
        return text.ToString();
    }

    /// <summary>The key as people type it: groups of four, like <c>ABCD EFGH ...</c>.</summary>
    public static string Grouped(string base32) =>
        string.Join(' ', Enumerable.Range(0, (base32.Length + 3) / 4).Select(i => base32.Substring(i * 4, Math.Min(4, base32.Length - i * 4))));

    /// <summary>The <c>otpauth://totp/</c> URI (Google's Key Uri Format) an app reads from the QR code.</summary>
    public static string OtpAuth(string issuer, string account, string base32) =>
        $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(account)}?secret={base32}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits=6&period=30";
}
