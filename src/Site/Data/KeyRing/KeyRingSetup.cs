using System.Data.Common;
using System.Security.Cryptography;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>
/// The Data Protection key ring lives in the site's database, encrypted with a key kept outside it (decision 0006):
/// a database copy alone must not let anyone mint a session cookie.
/// </summary>
public static class KeyRingSetup
{
    public const string ApplicationName = "IdentityTwoFactor";

    private const string UnencryptedMessage =
        "The Data Protection key ring would be stored in the database without encryption: set DataProtection__KeyEncryptionKey, " +
        "DataProtection__KeyEncryptionKeyFile or DataProtection__CertificatePath.";

    // Data Protection marks the secret parts of a key with this attribute; its encryptor replaces them before storing.
    private static readonly XName RequiresEncryption = XName.Get("requiresEncryption", "http://schemas.asp.net/2015/03/dataProtection");

    /// <remarks>A bad setting does not throw here: it fails <c>ValidateOnStart</c>, so it surfaces when the host starts,
    /// as every other setting does, and Program.cs prints that one sentence.</remarks>
    public static IHostApplicationBuilder AddEncryptedKeyRing(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>() ?? new KeyRingOptions();
        var sharedDatabase = string.Equals(builder.Configuration[$"{DatabaseOptions.Section}:Provider"], "PostgreSQL", StringComparison.Ordinal);
        var protection = KeyRingProtection.Resolve(options, builder.Environment.ContentRootPath, builder.Environment.IsDevelopment(), sharedDatabase, out var error);

        var dataProtection = builder.Services.AddDataProtection()
            .SetApplicationName(ApplicationName);
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IServiceScopeFactory>(
            (o, scopes) => o.XmlRepository = new DatabaseXmlRepository<SiteDbContext>(scopes));
        // The last key ring read stays usable through a database outage.
        builder.Services.PostConfigure<KeyManagementOptions>(o =>
        {
            if (o.XmlRepository is { } repository and not OutageTolerantXmlRepository)
            {
                o.XmlRepository = new OutageTolerantXmlRepository(repository);
            }
        });
        var keyManagement = builder.Services.AddOptions<KeyManagementOptions>();
        if (protection is null)
        {
            keyManagement.Validate(_ => false, error!).ValidateOnStart();
            return builder;
        }

        builder.Services.AddSingleton(protection);
        if (protection.Certificate is { } certificate)
        {
            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
        else
        {
            dataProtection.ProtectKeysWithKeyEncryptionKey(protection.Key!);
        }
        var isDevelopment = builder.Environment.IsDevelopment();
        keyManagement.Validate(o => o.XmlEncryptor is not null || isDevelopment, UnencryptedMessage).ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// Data Protection warms its key ring in a hosted service as the host starts, before anyone knows whether the database
    /// answers, and logs a failure there with its stack trace. The site warms it as the last step of its database start
    /// instead (DatabaseSetup.PrepareSiteDatabase), which waits for the database when it must. Call after everything that
    /// adds Data Protection (authentication adds it again).
    /// </summary>
    public static IServiceCollection RemoveDataProtectionWarmUp(this IServiceCollection services)
    {
        var warmUp = services.Where(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService").ToList();
        foreach (var descriptor in warmUp)
        {
            services.Remove(descriptor);
        }
        return services;
    }

    /// <summary>Encrypts new keys with <paramref name="key"/> and lets Data Protection's activator find it to decrypt them.</summary>
    public static IDataProtectionBuilder ProtectKeysWithKeyEncryptionKey(this IDataProtectionBuilder builder, KeyEncryptionKey key)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(key);
        builder.Services.Configure<KeyManagementOptions>(o => o.XmlEncryptor = new KeyRingXmlEncryptor(key));
        return builder;
    }

    /// <summary>At start, before the key ring is first read: says what protects it, and removes the keys an earlier
    /// version stored unencrypted (their master keys sit in every backup taken since; a fresh encrypted key replaces
    /// them, and whoever was signed in with them signs in again).</summary>
    public static WebApplication UseEncryptedKeyRing(this WebApplication app)
    {
        var protection = app.Services.GetService<KeyRingProtection>();
        if (protection is null)
        {
            return app; // A bad setting: the host refuses to start with its sentence; change nothing stored.
        }
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KeyRingSetup).FullName!);
        if (protection.GeneratedFile is { } generated)
        {
            KeyRingLog.GeneratedKeyFile(logger, generated);
        }
        KeyRingLog.Encrypted(logger, protection.Description);
        return app;
    }

    /// <summary>The database part of the start (run again until the database answers, when it did not at first): removes
    /// the keys an earlier version stored unencrypted and stops the start when no stored key opens with the configured
    /// protection. A database outage is left to the caller (Data.Outage.DatabaseStartup).</summary>
    public static void CheckStoredKeyRing(IServiceProvider services)
    {
        var protection = services.GetService<KeyRingProtection>();
        if (protection is null)
        {
            return;
        }
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KeyRingSetup).FullName!);
        try
        {
            // Through the repository Data Protection itself uses (which also remembers this read for outages).
            var repository = services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository!;
            if (repository.GetAllElements().Any(HoldsUnencryptedSecret))
            {
                RemoveUnencryptedKeys(services, logger);
            }
        }
        catch (DbException e) when (Outage.DatabaseOutage.Classify(e) is null)
        {
            KeyRingLog.CouldNotCheck(logger, e.GetType().Name);
            return;
        }
        EnsureTheStoredKeysCanBeRead(services, protection);
    }

    /// <summary>Stops the start when the database holds live keys and none opens with the configured protection.</summary>
    /// <remarks>Data Protection would otherwise quietly make a key of its own: behind a load balancer, an instance
    /// given another key than its peers would then reject their cookies and forms and have its own rejected, at random.
    /// A lost generated key file ends here too, with what to do instead of a silent sign-out of everyone.</remarks>
    private static void EnsureTheStoredKeysCanBeRead(IServiceProvider services, KeyRingProtection protection)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var live = services.GetRequiredService<IKeyManager>().GetAllKeys().Where(k => !k.IsRevoked && k.ExpirationDate > now).ToList();
        if (live.Count == 0 || live.Any(CanRead))
        {
            return;
        }
        throw new OptionsValidationException(KeyRingOptions.Section, typeof(KeyRingOptions),
        [
            $"The Data Protection key ring in the database does not open with {protection.Description}: give this instance the key the " +
            "other instances use (DataProtection__KeyEncryptionKey, DataProtection__KeyEncryptionKeyFile or DataProtection__CertificatePath), " +
            "or delete the DataProtectionKeys rows to start over, which signs everyone out.",
        ]);
    }

    private static bool CanRead(IKey key)
    {
        try
        {
            return key.CreateEncryptor() is not null;
        }
        catch (Exception e) when (e is CryptographicException or InvalidOperationException or TypeLoadException or XmlException)
        {
            return false;
        }
    }

    private static void RemoveUnencryptedKeys(IServiceProvider services, ILogger logger)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SiteDbContext>();
        var unencrypted = db.DataProtectionKeys.AsNoTracking().Select(k => new { k.Id, k.Xml }).AsEnumerable()
            .Where(k => HoldsUnencryptedSecret(k.Xml)).Select(k => k.Id).ToList();
        var removed = db.DataProtectionKeys.Where(k => unencrypted.Contains(k.Id)).ExecuteDelete();
        KeyRingLog.RemovedUnencryptedKeys(logger, removed);
    }

    private static bool HoldsUnencryptedSecret(string? xml)
    {
        if (string.IsNullOrEmpty(xml))
        {
            return false;
        }
        try
        {
            return HoldsUnencryptedSecret(XElement.Parse(xml));
        }
        catch (XmlException)
        {
            return false; // Not a key Data Protection could read either.
        }
    }

    private static bool HoldsUnencryptedSecret(XElement element) =>
        element.DescendantsAndSelf().Any(e => (bool?)e.Attribute(RequiresEncryption) == true);
}
