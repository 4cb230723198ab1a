using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Codes;

/// <summary>Makes 6-digit codes.</summary>
public interface ISmsCodeGenerator
{
    /// <summary>A uniformly random code of exactly six ASCII digits; leading zeros are part of the code.</summary>
    /// <returns>The code.</returns>
    string NewCode();
}

/// <summary>Codes from the operating system's CSPRNG.</summary>
public sealed class RandomSmsCodeGenerator : ISmsCodeGenerator
{
    /// <inheritdoc />
    public string NewCode() => RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
}

/// <summary>
/// HMAC-SHA256 of a code bound to user, purpose and phone number under a server key kept outside the database
/// (<see cref="SmsTwoFactorOptions.CodeHashKey"/>, or a key file created once under the content root), so a copy of
/// the database does not reveal live codes. Pseudonyms for budget keys come from the same key.
/// </summary>
public sealed class SmsCodeHasher
{
    private readonly byte[] _key;

    /// <summary>Loads the key (or creates the key file).</summary>
    /// <param name="options">The library's options.</param>
    /// <param name="environment">The host, for the content root of the key file.</param>
    public SmsCodeHasher(IOptions<SmsTwoFactorOptions> options, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var o = options.Value;
        _key = LoadKey(o.CodeHashKey, Path.Combine(environment.ContentRootPath, o.CodeHashKeyFile), "SmsTwoFactor:CodeHashKey");
    }

    /// <summary>Uses <paramref name="key"/> (from <see cref="LoadKey"/>, or an app's own key store).</summary>
    /// <param name="key">At least 32 bytes.</param>
    public SmsCodeHasher(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 32)
        {
            throw new ArgumentException("The code hash key must be at least 32 bytes.", nameof(key));
        }
        _key = key;
    }

    /// <summary>The key from <paramref name="base64Key"/> when set, otherwise from <paramref name="keyFile"/> (created
    /// with a random key, readable by the owner only, when missing; two processes starting at once share one key).</summary>
    /// <param name="base64Key">The configured key, or null.</param>
    /// <param name="keyFile">The key file's full path.</param>
    /// <param name="settingName">The setting named in the start-up error when the key is malformed.</param>
    /// <returns>The key.</returns>
    /// <exception cref="OptionsValidationException">The key is not base64 or shorter than 32 bytes.</exception>
    public static byte[] LoadKey(string? base64Key, string keyFile, string settingName) =>
        !string.IsNullOrWhiteSpace(base64Key) ? DecodeKey(base64Key, settingName) : LoadOrCreateKeyFile(keyFile, settingName);

    /// <summary>The keyed hash of <paramref name="code"/> for this user, purpose and number.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="purpose">The purpose.</param>
    /// <param name="phoneNumber">The number the code goes to.</param>
    /// <param name="code">The code.</param>
    /// <returns>32 bytes.</returns>
    public byte[] Hash(string userId, string purpose, string? phoneNumber, string code) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(string.Join('\n', userId, purpose, phoneNumber ?? "", code)));

    /// <summary>A 128-bit keyed pseudonym for an email or a number in a budget key.</summary>
    /// <param name="kind">What the value is ("phone", "user").</param>
    /// <param name="value">The value.</param>
    /// <returns>32 hex digits.</returns>
    public string Pseudonym(string kind, string value) =>
        Convert.ToHexString(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("budget\n" + kind + "\n" + value)), 0, 16);

    /// <summary>True for exactly six ASCII digits.</summary>
    /// <param name="code">What the user typed.</param>
    /// <returns>Whether it can be a code.</returns>
    public static bool IsWellFormed(string? code) => code is { Length: 6 } && code.All(char.IsAsciiDigit);

    private static byte[] DecodeKey(string base64, string settingName)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new OptionsValidationException(settingName, typeof(SmsTwoFactorOptions),
                [$"{settingName} must be base64 (for example the output of: openssl rand -base64 32)."]);
        }
        if (key.Length < 32)
        {
            throw new OptionsValidationException(settingName, typeof(SmsTwoFactorOptions),
                [$"{settingName} must decode to at least 32 bytes."]);
        }
        return key;
    }

    private static byte[] LoadOrCreateKeyFile(string path, string settingName)
    {
        if (File.Exists(path))
        {
            return DecodeKey(File.ReadAllText(path).Trim(), settingName);
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
            return DecodeKey(File.ReadAllText(path).Trim(), settingName);
        }
    }
}
