using IdentityTwoFactor.Data;
using IdentityTwoFactor.FakeRingCentral;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>
/// The whole site in process (Production environment: secure cookies, HSTS, error pages), on a fresh SQLite file,
/// texting through the real RingCentral client to a fake RingCentral server over a real socket, on a fake clock.
/// </summary>
public sealed class SiteFactory : WebApplicationFactory<Program>
{
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-site-").FullName;
    private readonly Dictionary<string, string?> _settings;
    private Action<IServiceCollection>? _configureServices;

    /// <summary>The one clock of the site and the fake RingCentral server.</summary>
    public FakeTimeProvider Clock { get; }
    public FakeRingCentralServer RingCentral { get; }
    public string DatabasePath => Path.Combine(_folder, "site.db");

    /// <summary>The content root (App_Data holds the generated key files).</summary>
    public string ContentRoot => _folder;

    private SiteFactory(FakeTimeProvider clock, FakeRingCentralServer ringCentral, Dictionary<string, string?> settings)
    {
        Clock = clock;
        RingCentral = ringCentral;
        _settings = settings;
    }

    /// <param name="settings">Overrides; by default the SMS budget and per-IP limits are off so only the test's subject is on.</param>
    public static async Task<SiteFactory> StartAsync(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ringCentral = await FakeRingCentralServer.StartNewAsync(clock);
        var all = new Dictionary<string, string?>
        {
            ["DotEnv:Disabled"] = "true",
            ["RINGCENTRAL_SERVER_URL"] = ringCentral.Url,
            ["RINGCENTRAL_CLIENT_ID"] = ringCentral.ClientId,
            ["RINGCENTRAL_CLIENT_SECRET"] = ringCentral.ClientSecret,
            ["RINGCENTRAL_JWT"] = ringCentral.Jwt,
            ["RINGCENTRAL_FROM_NUMBER"] = ringCentral.FromNumber,
            ["TwoFactor:CodeHashKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["TwoFactor:ResendCooldown"] = "00:00:00",
            ["TwoFactor:MaxTextsPerHour"] = "0",
            ["TwoFactor:MaxTextsPerDay"] = "0",
            ["TwoFactor:MaxTextsPerNumberPerHour"] = "0",
            ["TwoFactor:MaxTextsPerNumberPerDay"] = "0",
            ["RateLimits:Enabled"] = "false",
            // The hashing gate's defaults answer "busy" beyond a few parallel hashes per core; the tests that fire many
            // parallel logins test the lockout, not the gate (BusyGateTests test the gate with its own settings).
            ["Hashing:MaxQueue"] = "10000",
            ["Hashing:MaxWait"] = "00:01:00",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }
        var factory = new SiteFactory(clock, ringCentral, all) { _configureServices = configureServices };
        try
        {
            _ = factory.Server; // start now, so start-up failures surface here
        }
        catch
        {
            await factory.DisposeAsync();
            throw;
        }
        return factory;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseContentRoot(_folder);
        builder.UseSetting("ConnectionStrings:Site", $"Data Source={DatabasePath}");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            // Tests hash many passwords; production keeps Identity's 100k iterations.
            services.Configure<PasswordHasherOptions>(o => o.IterationCount = 1000);
            _configureServices?.Invoke(services);
        });
    }

    /// <summary>A browser-like client: its own cookies (<see cref="FormClient.Cookies"/>), no automatic redirects, HTTPS so
    /// secure cookies flow.</summary>
    public FormClient NewClient()
    {
        var jar = new System.Net.CookieContainer();
        return new(CreateDefaultClient(new Uri("https://localhost"), new CookieJarHandler(jar)), RingCentral.LastCodeSentTo) { Cookies = jar };
    }

    public async Task<T> WithDbAsync<T>(Func<SiteDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<SiteDbContext>());
    }

    /// <summary>Runs <paramref name="act"/> with a request's worth of the site's services (its user manager, its stores).</summary>
    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> act)
    {
        await using var scope = Services.CreateAsyncScope();
        return await act(scope.ServiceProvider);
    }

    /// <summary>Row counts and every user row, to prove bad input changed nothing stored.</summary>
    public Task<string> SnapshotAsync() => WithDbAsync(async db =>
    {
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Id).ToListAsync();
        var codes = await db.UserCodes.AsNoTracking().OrderBy(c => c.Id).ToListAsync();
        var budgets = await db.SendBudgets.AsNoTracking().OrderBy(b => b.Key).ToListAsync();
        var recoveryCodes = await db.RecoveryCodes.AsNoTracking().OrderBy(c => c.Id).Select(c => new { c.Id, c.UserId }).ToListAsync();
        return System.Text.Json.JsonSerializer.Serialize(new { users, codes = codes.Select(c => new { c.Id, c.UserId, c.Purpose, c.ExpiresUtc }), budgets, recoveryCodes });
    });

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await RingCentral.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
