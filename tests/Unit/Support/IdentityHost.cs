using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>
/// A bare host with the real store, provider and lockout on a fresh SQLite file (migrated with the committed
/// migrations), a fake clock and the development outbox as SMS sender. No site pages, no web server.
/// </summary>
public sealed class IdentityHost : IAsyncDisposable
{
    public const string Password = "correct horse battery";
    private readonly IHost _host;
    private readonly string _folder;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    public DevelopmentOutbox Outbox { get; }
    public DatabaseKind Database { get; }
    public string DatabasePath { get; }

    /// <param name="ringCentral">When given, codes are texted through the real RingCentral client to this fake
    /// server over HTTP instead of the development outbox.</param>
    /// <param name="database">SQLite (a fresh file) or PostgreSQL (a fresh database on the test server).</param>
    public IdentityHost(Action<IDictionary<string, string?>>? configure = null, ICodeGenerator? codes = null,
        IdentityTwoFactor.FakeRingCentral.FakeRingCentralServer? ringCentral = null, DatabaseKind database = DatabaseKind.Sqlite)
    {
        Database = database;
        _folder = Path.Combine(Path.GetTempPath(), "itf-unit-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        DatabasePath = Path.Combine(_folder, "site.db");
        var settings = new Dictionary<string, string?>
        {
            // Budget tests turn these back on; the other tests text freely.
            ["TwoFactor:ResendCooldown"] = "00:00:00",
            ["TwoFactor:MaxTextsPerHour"] = "0",
            ["TwoFactor:MaxTextsPerNumberPerHour"] = "0",
            ["TwoFactor:MaxTextsPerNumberPerDay"] = "0",
            ["TwoFactor:CodeHashKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)i).ToArray()),
            // Parallel-attack tests test the lockout, not the hashing gate (see BusyGateTests).
            ["Hashing:MaxQueue"] = "10000",
            ["Hashing:MaxWait"] = "00:01:00",
        };
        if (ringCentral is not null)
        {
            settings["RINGCENTRAL_SERVER_URL"] = ringCentral.Url;
            settings["RINGCENTRAL_CLIENT_ID"] = ringCentral.ClientId;
            settings["RINGCENTRAL_CLIENT_SECRET"] = ringCentral.ClientSecret;
            settings["RINGCENTRAL_JWT"] = ringCentral.Jwt;
            settings["RINGCENTRAL_FROM_NUMBER"] = ringCentral.FromNumber;
        }
        configure?.Invoke(settings);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = "Testing",
            ContentRootPath = _folder,
            DisableDefaults = true,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging(l => l.AddFakeLogging());
        builder.Services.AddSingleton<TimeProvider>(Clock);
        Outbox = new DevelopmentOutbox(Clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<DevelopmentOutbox>.Instance);
        if (ringCentral is null)
        {
            builder.Services.AddSingleton<ISmsSender>(Outbox);
        }
        else
        {
            builder.AddSmsSender();
        }
        if (codes is not null)
        {
            builder.Services.AddSingleton(codes);
        }
        if (database == DatabaseKind.PostgreSql)
        {
            var connectionString = PostgresServer.NewDatabase();
            builder.Services.AddDbContext<SiteDbContext, PostgresSiteDbContext>(o => o.UseNpgsql(connectionString));
        }
        else
        {
            builder.Services.AddDbContext<SiteDbContext>(o => o.UseSqlite($"Data Source={DatabasePath};Pooling=False"));
        }
        // The authenticator app's keys are protected with Data Protection (the site's key ring is encrypted, decision 0006).
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.Configure<PasswordHasherOptions>(o => o.IterationCount = 1000);
        builder.Services.AddIdentityCore<TwoFactorUser>(o =>
            {
                // The site's NIST-style policy: length only.
                o.Stores.SchemaVersion = SiteDbContext.IdentitySchema;
                o.User.RequireUniqueEmail = true;
                o.Password.RequireDigit = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
            })
            .AddSmsTwoFactor<SiteDbContext>();
        _host = builder.Build();
        _host.Start();

        using var scope = _host.Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<SiteDbContext>().Database.Migrate();
    }

    public IServiceProvider Services => _host.Services;

    public Microsoft.Extensions.Logging.Testing.FakeLogCollector Logs =>
        _host.Services.GetRequiredService<Microsoft.Extensions.Logging.Testing.FakeLogCollector>();

    /// <summary>A new scope, as one HTTP request would have: its own DbContext, store and managers.</summary>
    public Scope NewScope() => new(_host.Services.CreateAsyncScope());

    /// <summary>An established user: by default the phone is confirmed, as after the signup confirmation.</summary>
    public async Task<TwoFactorUser> CreateUserAsync(string? email = null, string phone = "+16505551234", bool confirmedPhone = true)
    {
        await using var scope = NewScope();
        var user = new TwoFactorUser
        {
            Email = email ?? $"user-{Guid.NewGuid():N}@example.com",
            UserName = email,
            PhoneNumber = phone,
            PhoneNumberConfirmed = confirmedPhone,
            FirstName = "Ada",
            LastName = "Lovelace",
        };
        user.UserName = user.Email;
        var result = await scope.Users.CreateAsync(user, Password);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
        return user;
    }

    public async Task<TwoFactorUser> ReloadAsync(TwoFactorUser user)
    {
        await using var scope = NewScope();
        return (await scope.Users.FindByIdAsync(user.Id))!;
    }

    /// <summary>A query on a fresh context, as a look at the database from outside.</summary>
    public async Task<T> WithDb<T>(Func<SiteDbContext, Task<T>> query)
    {
        await using var scope = NewScope();
        return await query(scope.Db);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A test's open handle; the temp folder is cleaned by the OS.
        }
    }

    public sealed class Scope(AsyncServiceScope scope) : IAsyncDisposable
    {
        public IServiceProvider Services => scope.ServiceProvider;
        public TwoFactorUserManager Users => scope.ServiceProvider.GetRequiredService<TwoFactorUserManager>();
        public SiteDbContext Db => scope.ServiceProvider.GetRequiredService<SiteDbContext>();
        public IUserStore<TwoFactorUser> Store => scope.ServiceProvider.GetRequiredService<IUserStore<TwoFactorUser>>();

        /// <summary>The user as this scope's context sees it (a request loads the user itself).</summary>
        public async Task<TwoFactorUser> LoadAsync(TwoFactorUser user) => (await Users.FindByIdAsync(user.Id))!;

        public ValueTask DisposeAsync() => scope.DisposeAsync();
    }
}
