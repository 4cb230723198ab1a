using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IdentityTwoFactor.Bench.Micro;

/// <summary>
/// The store's atomic failure counter (<see cref="TwoFactorUserStore{TContext}.RecordFailedAttemptAsync"/>) on a SQLite file
/// in WAL mode, built like tests/Unit/Support/IdentityHost.cs: the real store, DbContext and Identity registration.
/// </summary>
[MemoryDiagnoser]
public class LockoutCounterBenchmarks
{
    private static readonly DateTimeOffset LockEnd = TwoFactorUserManager.LockedUntilUnlocked;
    private string _folder = "";
    private IHost _host = null!;
    private TwoFactorUser _user = null!;
    private AsyncServiceScope _sharedScope;
    private IUserSmsTwoFactorStore<TwoFactorUser> _sharedStore = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "itf-micro-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = "Benchmark",
            ContentRootPath = _folder,
            DisableDefaults = true,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TwoFactor:CodeHashKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        builder.Services.AddLogging();
        builder.Services.AddSingleton<ISmsSender, DevelopmentOutbox>();
        builder.Services.AddDbContext<SiteDbContext>(o => o.UseSqlite($"Data Source={Path.Combine(_folder, "site.db")}"));
        builder.Services.Configure<PasswordHasherOptions>(o => o.IterationCount = 1000);
        builder.Services.AddIdentityCore<TwoFactorUser>(o =>
        {
            o.Stores.SchemaVersion = SiteDbContext.IdentitySchema;
            o.User.RequireUniqueEmail = true;
        }).AddSmsTwoFactor<SiteDbContext>();
        _host = builder.Build();
        await _host.StartAsync();

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SiteDbContext>();
            await db.Database.MigrateAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            _user = new TwoFactorUser { Email = "bench@bench.test", UserName = "bench@bench.test", PhoneNumber = "+16502530000" };
            var created = await scope.ServiceProvider.GetRequiredService<TwoFactorUserManager>().CreateAsync(_user, "Correct-Horse-9-battery");
            if (!created.Succeeded)
            {
                throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Description)));
            }
        }
        _sharedScope = _host.Services.CreateAsyncScope();
        _sharedStore = Store(_sharedScope);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _sharedScope.DisposeAsync();
        await _host.StopAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static IUserSmsTwoFactorStore<TwoFactorUser> Store(AsyncServiceScope scope) =>
        (IUserSmsTwoFactorStore<TwoFactorUser>)scope.ServiceProvider.GetRequiredService<IUserStore<TwoFactorUser>>();

    /// <summary>One counted failure (UPDATE ... WHERE, then read back), as one request would do it: its own scope and DbContext.</summary>
    [Benchmark]
    public async Task<FailedAttemptOutcome> CountedFailureNewScope()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await Store(scope).RecordFailedAttemptAsync(_user, int.MaxValue, LockEnd, DateTimeOffset.UtcNow, CancellationToken.None);
    }

    /// <summary>The statements alone, on one long-lived store.</summary>
    [Benchmark]
    public Task<FailedAttemptOutcome> CountedFailureSharedStore() =>
        _sharedStore.RecordFailedAttemptAsync(_user, int.MaxValue, LockEnd, DateTimeOffset.UtcNow, CancellationToken.None);

    /// <summary>What a right password costs the counter: the attempt counted before the hash (so parallel guesses stay
    /// within the limit), then the count reset once the password matched; two UPDATEs on one long-lived store.</summary>
    [Benchmark(OperationsPerInvoke = 2)]
    public async Task<bool> SignInCountThenReset()
    {
        await _sharedStore.RecordFailedAttemptAsync(_user, 3, LockEnd, DateTimeOffset.UtcNow, CancellationToken.None);
        return await _sharedStore.ForgiveFailedAttemptAsync(_user, lockedByIt: false, resetCount: true, DateTimeOffset.UtcNow, CancellationToken.None);
    }

    /// <summary>Three failures with a limit of three (count, count, lock: the third runs both UPDATEs) and the unlock; per call.</summary>
    [Benchmark(OperationsPerInvoke = 4)]
    public async Task FailThreeTimesThenUnlock()
    {
        for (var i = 0; i < 3; i++)
        {
            await _sharedStore.RecordFailedAttemptAsync(_user, 3, LockEnd, DateTimeOffset.UtcNow, CancellationToken.None);
        }
        await _sharedStore.UnlockAsync(_user, CancellationToken.None);
    }
}
