using IdentityTwoFactor.Data;
using IdentityTwoFactor.FakeRingCentral;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace IdentityTwoFactor.Tests.E2E.Infrastructure;

/// <summary>The real site on a real loopback socket (Kestrel, port 0), with test settings: a fresh SQLite file, the fake
/// RingCentral server, a fake clock and cheap password hashing.</summary>
public sealed class SiteFactory : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly FakeTimeProvider _clock;

    public SiteFactory(IReadOnlyDictionary<string, string?> settings, FakeTimeProvider clock)
    {
        _settings = settings;
        _clock = clock;
        UseKestrel(0);
    }

    /// <summary>For example <c>http://127.0.0.1:40123</c> (no trailing slash); valid after <see cref="WebApplicationFactory{T}.StartServer"/>.</summary>
    public string BaseUrl
    {
        get
        {
            var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
                ?? throw new InvalidOperationException("The site's server has no address feature: was StartServer called?");
            var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal))
                ?? throw new InvalidOperationException("The site listens on no http address: " + string.Join(", ", addresses));
            // Chromium and the cookies are happiest with one literal loopback host.
            return address.Replace("//localhost:", "//127.0.0.1:", StringComparison.Ordinal)
                .Replace("//[::]:", "//127.0.0.1:", StringComparison.Ordinal)
                .Replace("//0.0.0.0:", "//127.0.0.1:", StringComparison.Ordinal)
                .TrimEnd('/');
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Outside Development the cookies are Secure-only, which plain http on 127.0.0.1 cannot carry.
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        // Warnings and errors of the site still reach the test output; its chatter (every text sent) does not.
        builder.UseSetting("Logging:LogLevel:Default", nameof(LogLevel.Warning));
        builder.UseSetting("Logging:LogLevel:IdentityTwoFactor", nameof(LogLevel.Warning));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(_clock);
            services.Configure<PasswordHasherOptions>(o => o.IterationCount = 1000);
        });
    }

    /// <summary>The number of user rows, read through the site's own DbContext.</summary>
    public int CountUsers()
    {
        using var scope = Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<SiteDbContext>().Users.Count();
    }
}

/// <summary>One site per test class (an xunit class fixture): its own database, fake RingCentral server and clock.</summary>
public sealed class SiteFixture : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "itf-e2e-" + Guid.NewGuid().ToString("N"));
    private SiteFactory? _factory;
    private FakeRingCentralServer? _ringCentral;

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public FakeRingCentralServer RingCentral => _ringCentral ?? throw new InvalidOperationException("Not started.");

    public SiteFactory Factory => _factory ?? throw new InvalidOperationException("Not started.");

    public string BaseUrl { get; private set; } = "";

    public string DatabasePath => Path.Combine(_folder, "site.db");

    /// <summary>The 6-digit code in the last text the fake RingCentral server accepted for <paramref name="e164"/>.</summary>
    public string? LastCodeSentTo(string e164) => RingCentral.LastCodeSentTo(e164);

    /// <summary>All texts accepted for <paramref name="e164"/>, oldest first.</summary>
    public IReadOnlyList<FakeSms> MessagesTo(string e164) => [.. RingCentral.Messages.Where(m => m.To == e164)];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _ringCentral = await FakeRingCentralServer.StartNewAsync(Clock);
        _factory = new SiteFactory(TestSettings(DatabasePath, _ringCentral), Clock);
        _factory.StartServer();
        BaseUrl = _factory.BaseUrl;
        if (!File.Exists(DatabasePath))
        {
            throw new InvalidOperationException($"The site did not use the test database {DatabasePath}: ConnectionStrings:Site was not applied.");
        }
    }

    /// <summary>The site's test settings on the SQLite file <paramref name="databasePath"/>: texts go to
    /// <paramref name="ringCentral"/>, or, when it is null, to the development outbox (the RingCentral variables are
    /// set empty, so none from the machine's environment counts).</summary>
    public static Dictionary<string, string?> TestSettings(string databasePath, FakeRingCentralServer? ringCentral) => new()
    {
        ["ConnectionStrings:Site"] = $"Data Source={databasePath}",
        ["DotEnv:Disabled"] = "true",
        ["RINGCENTRAL_SERVER_URL"] = ringCentral?.Url ?? "",
        ["RINGCENTRAL_CLIENT_ID"] = ringCentral?.ClientId ?? "",
        ["RINGCENTRAL_CLIENT_SECRET"] = ringCentral?.ClientSecret ?? "",
        ["RINGCENTRAL_JWT"] = ringCentral?.Jwt ?? "",
        ["RINGCENTRAL_FROM_NUMBER"] = ringCentral?.FromNumber ?? "",
        ["TwoFactor:CodeHashKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        // Without it the key-encryption key would be generated under the content root, here the source folder.
        ["DataProtection:KeyEncryptionKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        // Settings of features still to come (per-IP limits, resend cooldowns): off, so stories may repeat steps quickly.
        ["RateLimits:Enabled"] = "false",
        ["TwoFactor:ResendCooldown"] = "00:00:00",
        // Stories sign up many accounts on one test number.
        ["TwoFactor:MaxTextsPerNumberPerHour"] = "0",
        ["TwoFactor:MaxTextsPerNumberPerDay"] = "0",
    };

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_ringCentral is not null)
        {
            await _ringCentral.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: the temp folder is cleaned by the OS eventually.
        }
    }
}
