namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>
/// Section <c>DataProtection</c>: what encrypts the Data Protection key ring (the keys that sign cookies and
/// antiforgery tokens) before it is stored in the database. Set at most one of the three; with none, a key is
/// generated once in <see cref="GeneratedKeyFile"/> (fine for one machine, refused for PostgreSQL outside Development).
/// </summary>
public sealed class KeyRingOptions
{
    public const string Section = "DataProtection";

    /// <summary>Where the key-encryption key is generated when nothing is set, relative to the content root.</summary>
    public const string GeneratedKeyFile = "App_Data/keyring.key";

    /// <summary>Base64 key-encryption key of exactly 32 bytes (AES-256-GCM), the same on every instance.</summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>A file holding such a base64 key (for example a mounted secret); it must exist, it is never created.</summary>
    public string? KeyEncryptionKeyFile { get; set; }

    /// <summary>A PKCS#12 (.pfx) file with an RSA private key; Data Protection's own certificate encryption.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }
}
