using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>What encrypts the key ring, chosen from <see cref="KeyRingOptions"/> once at start.</summary>
internal sealed class KeyRingProtection
{
    private KeyRingProtection(string description, KeyEncryptionKey? key, X509Certificate2? certificate, string? generatedFile)
    {
        Description = description;
        Key = key;
        Certificate = certificate;
        GeneratedFile = generatedFile;
    }

    /// <summary>Where the protection comes from, for the start log (a setting name, a path or a thumbprint; never a key).</summary>
    public string Description { get; }

    public KeyEncryptionKey? Key { get; }

    public X509Certificate2? Certificate { get; }

    /// <summary>The key file this start created, if it did.</summary>
    public string? GeneratedFile { get; }

    /// <summary>The protection the settings ask for, or one sentence naming the setting to fix.</summary>
    /// <param name="sharedDatabase">PostgreSQL: several instances may share the database, so a per-machine key is refused
    /// outside Development (instances could not read each other's keys).</param>
    public static KeyRingProtection? Resolve(KeyRingOptions options, string contentRoot, bool isDevelopment, bool sharedDatabase, out string? error)
    {
        error = null;
        var explicitSettings = new[] { options.KeyEncryptionKey, options.KeyEncryptionKeyFile, options.CertificatePath }.Count(s => !string.IsNullOrWhiteSpace(s));
        if (explicitSettings > 1)
        {
            error = "Set only one of DataProtection:KeyEncryptionKey, DataProtection:KeyEncryptionKeyFile and DataProtection:CertificatePath.";
            return null;
        }
        if (!string.IsNullOrEmpty(options.CertificatePassword) && string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            error = "DataProtection:CertificatePassword is set but DataProtection:CertificatePath is empty: set the path of the .pfx file it opens.";
            return null;
        }

        if (!string.IsNullOrWhiteSpace(options.KeyEncryptionKey))
        {
            var key = KeyFile.Decode(options.KeyEncryptionKey.Trim(), KeyEncryptionKey.Length);
            if (key is null)
            {
                error = "DataProtection:KeyEncryptionKey must be base64 of exactly 32 bytes (for example the output of: openssl rand -base64 32).";
                return null;
            }
            return new KeyRingProtection("DataProtection:KeyEncryptionKey", new KeyEncryptionKey(key), null, null);
        }

        if (!string.IsNullOrWhiteSpace(options.KeyEncryptionKeyFile))
        {
            var path = Path.GetFullPath(options.KeyEncryptionKeyFile, contentRoot);
            if (!File.Exists(path))
            {
                error = $"DataProtection:KeyEncryptionKeyFile names {path}, which does not exist: create it once with `openssl rand -base64 32 > {path}` (mode 0600) and give every instance the same file.";
                return null;
            }
            var key = KeyFile.Read(path, KeyEncryptionKey.Length);
            if (key is null)
            {
                error = $"DataProtection:KeyEncryptionKeyFile ({path}) must hold base64 of exactly 32 bytes (for example the output of: openssl rand -base64 32).";
                return null;
            }
            return new KeyRingProtection($"the key file {path} (DataProtection:KeyEncryptionKeyFile)", new KeyEncryptionKey(key), null, null);
        }

        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            return LoadCertificate(Path.GetFullPath(options.CertificatePath, contentRoot), options.CertificatePassword, out error);
        }

        if (sharedDatabase && !isDevelopment)
        {
            error = "With Database:Provider=PostgreSQL outside Development every instance must encrypt the Data Protection key ring with the same key: " +
                    "set DataProtection__KeyEncryptionKey (for example to the output of: openssl rand -base64 32), " +
                    "or DataProtection__KeyEncryptionKeyFile or DataProtection__CertificatePath, the same on every instance.";
            return null;
        }
        var generated = Path.GetFullPath(KeyRingOptions.GeneratedKeyFile, contentRoot);
        var generatedKey = KeyFile.ReadOrCreate(generated, KeyEncryptionKey.Length, out var created);
        if (generatedKey is null)
        {
            error = $"{generated} (the generated key-encryption key) must hold base64 of exactly 32 bytes: restore it from a backup, " +
                    "or delete it together with the DataProtectionKeys rows, which signs everyone out.";
            return null;
        }
        return new KeyRingProtection($"the generated key file {generated}", new KeyEncryptionKey(generatedKey), null, created ? generated : null);
    }

    private static KeyRingProtection? LoadCertificate(string path, string? password, out string? error)
    {
        error = null;
        if (!File.Exists(path))
        {
            error = $"DataProtection:CertificatePath names {path}, which does not exist.";
            return null;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException)
        {
            error = "DataProtection:CertificatePassword does not open the certificate at DataProtection:CertificatePath (or that file is not a .pfx/PKCS#12 file).";
            return null;
        }
        using var privateKey = certificate.GetRSAPrivateKey();
        if (privateKey is null)
        {
            certificate.Dispose();
            error = "The certificate at DataProtection:CertificatePath must include its RSA private key (a .pfx/PKCS#12 file).";
            return null;
        }
        return new KeyRingProtection($"the certificate {certificate.Thumbprint} (DataProtection:CertificatePath)", null, certificate, null);
    }
}
