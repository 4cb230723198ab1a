using System.Globalization;
using System.Security.Cryptography;
using IdentityTwoFactor.Codes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>Makes 6-digit codes and their keyed hashes. The key never leaves this class.</summary>
/// <remarks>The library's <see cref="ISmsCodeGenerator"/> under the site's name: the site and its tests register one of
/// these, and the library's provider uses it.</remarks>
public interface ICodeGenerator : ISmsCodeGenerator;

public sealed class RandomCodeGenerator : ICodeGenerator
{
    public string NewCode() => RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
}

/// <summary>
/// HMAC-SHA256 of a code bound to user, purpose and phone number, under a server key kept outside the database
/// (configuration, or a file created once under the content root). A database dump alone does not reveal codes.
/// The library's <see cref="SmsCodeHasher"/> under the site's settings (<c>TwoFactor:CodeHashKey</c>,
/// <c>TwoFactor:CodeHashKeyFile</c>): the same key makes the same hashes, so codes stay valid across the two.
/// </summary>
public sealed class CodeHasher
{
    private readonly SmsCodeHasher _hasher;

    public CodeHasher(IOptions<TwoFactorOptions> options, IHostEnvironment environment)
    {
        var o = options.Value;
        _hasher = new SmsCodeHasher(SmsCodeHasher.LoadKey(o.CodeHashKey, Path.Combine(environment.ContentRootPath, o.CodeHashKeyFile), "TwoFactor:CodeHashKey"));
    }

    /// <summary>The library's hasher under the site's key: the codes the library's provider checks.</summary>
    public SmsCodeHasher Codes => _hasher;

    /// <summary>The keyed hash of a normalized recovery code, bound to its user (and to a purpose no texted code has).</summary>
    public byte[] HashRecoveryCode(string userId, string normalizedCode) => _hasher.Hash(userId, RecoveryCodePurpose, null, normalizedCode);

    private const string RecoveryCodePurpose = "RecoveryCode";

    /// <summary>A pseudonym for an email or a phone number in a budget key: 128 bits of HMAC under the same server
    /// key, so the budget table names neither (a plain hash of a phone number is reversed by trying every number).</summary>
    public string Pseudonym(string kind, string value) => _hasher.Pseudonym(kind, value);

    public static bool IsWellFormed(string? code) => SmsCodeHasher.IsWellFormed(code);
}
