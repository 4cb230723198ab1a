using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>Makes 6-digit codes and their keyed hashes. The key never leaves this class.</summary>
public interface ICodeGenerator
{
    /// <summary>A uniformly random code of exactly six ASCII digits; leading zeros are part of the code.</summary>
    string NewCode();
}

public sealed class RandomCodeGenerator : ICodeGenerator
{
    public string NewCode() => RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
}

/// <summary>
/// HMAC-SHA256 of a code bound to user, purpose and phone number, under a server key kept outside the database
/// (configuration, or a file created once under the content root). A database dump alone does not reveal codes.
/// </summary>
public sealed class CodeHasher
{
    private readonly byte[] _key;

    public CodeHasher(IOptions<TwoFactorOptions> options, IHostEnvironment environment)
    {
        var o = options.Value;
        _key = !string.IsNullOrWhiteSpace(o.CodeHashKey)
            ? DecodeKey(o.CodeHashKey)
            : LoadOrCreateKeyFile(Path.Combine(environment.ContentRootPath, o.CodeHashKeyFile));
    }

    public byte[] Hash(string userId, string purpose, string? phoneNumber, string code)
    {
        var message = Encoding.UTF8.GetBytes(string.Join('\n', userId, purpose, phoneNumber ?? "", code));
        return HMACSHA256.HashData(_key, message);
    }

    /// <summary>A pseudonym for an email or a phone number in a budget key: 128 bits of HMAC under the same server
    /// key, so the budget table names neither (a plain hash of a phone number is reversed by trying every number).</summary>
    public string Pseudonym(string kind, string value)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("budget\n" + kind + "\n" + value));
        return Convert.ToHexString(mac, 0, 16);
    }

    public static bool IsWellFormed(string? code) =>
        code is { Length: 6 } && code.All(char.IsAsciiDigit);

    private static byte[] DecodeKey(string base64)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new OptionsValidationException(nameof(TwoFactorOptions.CodeHashKey), typeof(TwoFactorOptions),
                ["TwoFactor:CodeHashKey must be base64 (for example the output of: openssl rand -base64 32)."]);
        }
        if (key.Length < 32)
        {
            throw new OptionsValidationException(nameof(TwoFactorOptions.CodeHashKey), typeof(TwoFactorOptions),
                ["TwoFactor:CodeHashKey must decode to at least 32 bytes."]);
        }
        return key;
    }

    private static byte[] LoadOrCreateKeyFile(string path)
    {
        if (File.Exists(path))
        {
            return DecodeKey(File.ReadAllText(path).Trim());
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(32);
        try
        {
            // CreateNew: when two processes start at once, the second reads the first one's key.
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            Thread.Sleep(50);
            return DecodeKey(File.ReadAllText(path).Trim());
        }
    }
}
