using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using IdentityTwoFactor.Data.KeyRing;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The settings that encrypt the key ring (DataProtection:*), on the whole site in process (Production).</summary>
public sealed class KeyRingSettingsTests : IDisposable
{
    private const string Password = "correct horse battery";
    private const string CertificatePassword = "pfx password 123";
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-keyring-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string?, string, string?> BadSettings() => new()
    {
        { "DataProtection:KeyEncryptionKey", "not base64 at all!", "DataProtection:KeyEncryptionKey must be base64 of exactly 32 bytes", "not base64 at all!" },
        { "DataProtection:KeyEncryptionKey", Convert.ToBase64String(new byte[16]), "DataProtection:KeyEncryptionKey must be base64 of exactly 32 bytes", Convert.ToBase64String(new byte[16]) },
        { "DataProtection:KeyEncryptionKeyFile", "/nonexistent/keyring.key", "DataProtection:KeyEncryptionKeyFile names /nonexistent/keyring.key, which does not exist", null },
        { "DataProtection:CertificatePath", "/nonexistent/keyring.pfx", "DataProtection:CertificatePath names /nonexistent/keyring.pfx, which does not exist.", null },
        { "DataProtection:CertificatePassword", "a password without a file", "DataProtection:CertificatePassword is set but DataProtection:CertificatePath is empty", "a password without a file" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task ABadSettingRefusesToStartWithOneSentenceNamingIt(string setting, string? value, string sentence, string? secret)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiteFactory.StartAsync(new() { [setting] = value }));

        AssertOneSentence(error.Message, sentence);
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AKeyFileThatIsNotAKeyRefusesToStart()
    {
        var path = Path.Combine(_folder, "keyring.key");
        await File.WriteAllTextAsync(path, "too short");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiteFactory.StartAsync(new() { ["DataProtection:KeyEncryptionKeyFile"] = path }));

        AssertOneSentence(error.Message, $"DataProtection:KeyEncryptionKeyFile ({path}) must hold base64 of exactly 32 bytes");
    }

    [Fact]
    public async Task AKeyFileEncryptsTheKeyRingAndNoKeyIsGenerated()
    {
        var path = Path.Combine(_folder, "shared-keyring.key");
        var key = RandomNumberGenerator.GetBytes(32);
        await File.WriteAllTextAsync(path, Convert.ToBase64String(key) + "\n");
        await using var site = await SiteFactory.StartAsync(new() { ["DataProtection:KeyEncryptionKeyFile"] = path });
        await SignUpAndLogInAsync(site);
        var payload = site.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("a secret of the site");

        var copy = await DatabaseCopy.ReadSqliteAsync(site.DatabasePath);

        AssertEncryptedBy(copy.KeyRing, "KeyRingXmlDecryptor");
        Assert.False(File.Exists(Path.Combine(site.ContentRoot, "App_Data", "keyring.key")));
        Assert.ThrowsAny<CryptographicException>(() => CookieForger.ProviderFrom(copy.KeyRing).CreateProtector("test").Unprotect(payload));
        var withTheFile = CookieForger.ProviderFrom(copy.KeyRing, b => b.ProtectKeysWithKeyEncryptionKey(new KeyEncryptionKey(key)));
        Assert.Equal("a secret of the site", withTheFile.CreateProtector("test").Unprotect(payload));
    }

    [Fact]
    public async Task TwoWaysAtOnceRefuseToStart()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiteFactory.StartAsync(new()
        {
            ["DataProtection:KeyEncryptionKey"] = NewKey(),
            ["DataProtection:CertificatePath"] = WriteCertificate(),
            ["DataProtection:CertificatePassword"] = CertificatePassword,
        }));

        AssertOneSentence(error.Message, "Set only one of DataProtection:KeyEncryptionKey, DataProtection:KeyEncryptionKeyFile and DataProtection:CertificatePath.");
    }

    [Fact]
    public async Task AWrongCertificatePasswordRefusesToStart()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiteFactory.StartAsync(new()
        {
            ["DataProtection:CertificatePath"] = WriteCertificate(),
            ["DataProtection:CertificatePassword"] = "not the password",
        }));

        AssertOneSentence(error.Message, "DataProtection:CertificatePassword does not open the certificate at DataProtection:CertificatePath");
        Assert.DoesNotContain("not the password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACertificateWithoutItsPrivateKeyRefusesToStart()
    {
        using var certificate = NewCertificate();
        var path = Path.Combine(_folder, "public-only.pfx");
        await File.WriteAllBytesAsync(path, X509CertificateLoader.LoadCertificate(certificate.RawData).Export(X509ContentType.Pkcs12, CertificatePassword));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiteFactory.StartAsync(new()
        {
            ["DataProtection:CertificatePath"] = path,
            ["DataProtection:CertificatePassword"] = CertificatePassword,
        }));

        AssertOneSentence(error.Message, "The certificate at DataProtection:CertificatePath must include its RSA private key");
    }

    [Fact]
    public async Task ProductionOnPostgreSqlWithoutASharedKeyRefusesToStartNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiteFactory.StartAsync(new()
        {
            ["Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Site"] = PostgresServer.NewDatabase(),
        }));

        AssertOneSentence(error.Message, "With Database:Provider=PostgreSQL outside Development every instance must encrypt the Data Protection key ring with the same key: set DataProtection__KeyEncryptionKey");
    }

    [Fact]
    public async Task ProductionOnPostgreSqlWithASharedKeyStartsAndStoresTheKeyRingEncrypted()
    {
        var connectionString = PostgresServer.NewDatabase();
        await using var site = await SiteFactory.StartAsync(new()
        {
            ["Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Site"] = connectionString,
            ["DataProtection:KeyEncryptionKey"] = NewKey(),
        });
        await SignUpAndLogInAsync(site);

        var keyRing = await DatabaseCopy.ReadPostgresKeyRingAsync(connectionString);

        AssertEncryptedBy(keyRing, "KeyRingXmlDecryptor");
        Assert.False(File.Exists(Path.Combine(site.ContentRoot, "App_Data", "keyring.key")));
    }

    [Fact]
    public async Task AnInstanceGivenAnotherKeyThanTheStoredKeyRingRefusesToStart()
    {
        var connectionString = PostgresServer.NewDatabase();
        Dictionary<string, string?> Settings(string key) => new()
        {
            ["Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Site"] = connectionString,
            ["DataProtection:KeyEncryptionKey"] = key,
        };
        var shared = NewKey();
        await using (var first = await SiteFactory.StartAsync(Settings(shared)))
        {
            await SignUpAndLogInAsync(first);
        }

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiteFactory.StartAsync(Settings(NewKey())));
        await using var sameKey = await SiteFactory.StartAsync(Settings(shared));

        AssertOneSentence(error.Message, "The Data Protection key ring in the database does not open with DataProtection:KeyEncryptionKey: give this instance the key the other instances use");
        Assert.Single(await DatabaseCopy.ReadPostgresKeyRingAsync(connectionString), e => e.Name.LocalName == "key");
    }

    [Fact]
    public async Task ADatabaseKeyRingWithoutEncryptionRefusesToStartOutsideDevelopment()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiteFactory.StartAsync(
            configureServices: services => services.PostConfigure<KeyManagementOptions>(o => o.XmlEncryptor = null)));

        AssertOneSentence(error.Message, "The Data Protection key ring would be stored in the database without encryption: set DataProtection__KeyEncryptionKey");
    }

    [Fact]
    public async Task AStartLeavesNoUnencryptedKeyWarning()
    {
        await using var site = await SiteFactory.StartAsync(configureServices: services => services.AddLogging(b => b.AddFakeLogging()));
        await SignUpAndLogInAsync(site);

        var records = site.Services.GetFakeLogCollector().GetSnapshot();

        // The capture saw a key being made (when the warning would be written) and the site's own line on what protects it.
        Assert.Contains(records, r => r.Category == "Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager" && r.Message.StartsWith("Creating key", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Id.Id == 4000 && r.Message.Contains("the generated key file", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Message.Contains("No XML encryptor configured", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Category != null && r.Category.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal) && r.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task TheGeneratedKeyFileIsOwnerOnly()
    {
        await using var site = await SiteFactory.StartAsync();

        var path = Path.Combine(site.ContentRoot, "App_Data", "keyring.key");

        Assert.Equal(32, Convert.FromBase64String(await File.ReadAllTextAsync(path)).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public async Task ACertificateEncryptsTheKeyRingAndTheDatabaseAloneCannotReadIt()
    {
        // One database file for two starts, as a restart (or a second instance) with the same certificate.
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Site"] = $"Data Source={Path.Combine(_folder, "site.db")}",
            ["DataProtection:CertificatePath"] = WriteCertificate(),
            ["DataProtection:CertificatePassword"] = CertificatePassword,
        };
        string payload;
        await using (var first = await SiteFactory.StartAsync(settings))
        {
            await SignUpAndLogInAsync(first);
            payload = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("a secret of the site");
            Assert.False(File.Exists(Path.Combine(first.ContentRoot, "App_Data", "keyring.key")));
        }

        var copy = await DatabaseCopy.ReadSqliteAsync(Path.Combine(_folder, "site.db"));
        await using var second = await SiteFactory.StartAsync(settings);

        AssertEncryptedBy(copy.KeyRing, "EncryptedXmlDecryptor");
        Assert.ThrowsAny<CryptographicException>(() => CookieForger.ProviderFrom(copy.KeyRing).CreateProtector("test").Unprotect(payload));
        // The second start decrypted the stored key with the certificate's private key.
        Assert.Equal("a secret of the site", second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(payload));
    }

    private static void AssertEncryptedBy(IReadOnlyList<XElement> keyRing, string decryptor)
    {
        var keys = keyRing.Where(e => e.Name.LocalName == "key").ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key =>
        {
            Assert.DoesNotContain(key.Descendants(), e => e.Name.LocalName == "masterKey");
            var secret = Assert.Single(key.Descendants(), e => e.Name.LocalName == "encryptedSecret");
            Assert.Contains(decryptor, (string?)secret.Attribute("decryptorType"), StringComparison.Ordinal);
        });
    }

    private static void AssertOneSentence(string message, string expected)
    {
        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
        Assert.EndsWith(".", message, StringComparison.Ordinal);
    }

    private static async Task SignUpAndLogInAsync(SiteFactory site)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var browser = site.NewClient();
        Assert.Equal(FormClient.AfterSignUp, (await browser.SignUpAsync(email, Password)).Headers.Location?.OriginalString);
        Assert.Equal("/", (await browser.LogInAsync(email, Password)).Headers.Location?.OriginalString);
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static X509Certificate2 NewCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=IdentityTwoFactor key ring (test)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private string WriteCertificate()
    {
        using var certificate = NewCertificate();
        var path = Path.Combine(_folder, "keyring.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, CertificatePassword));
        return path;
    }
}
