using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>Parallel requests on one account, each with its own scope and connection to one SQLite file.</summary>
public abstract class AtomicityTests : IAsyncLifetime
{
    private readonly IdentityHost _host;

    protected AtomicityTests(DatabaseKind database)
    {
        Database = database;
        _host = new IdentityHost(s => s["TwoFactor:MaxFailedAccessAttempts"] = "25", database: database);
    }

    protected DatabaseKind Database { get; }

    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [Fact]
    public async Task TwentyParallelFailuresCountTwentyWithoutALostUpdate()
    {
        var user = await _host.CreateUserAsync();

        var outcomes = await Parallel(20, async scope =>
            await scope.Users.RecordFailedPasswordAsync(await scope.LoadAsync(user)));

        Assert.All(outcomes, o => Assert.Equal(FailedAttemptOutcome.Counted, o));
        Assert.Equal(20, (await _host.ReloadAsync(user)).AccessFailedCount);
    }

    [Fact]
    public async Task ParallelFailuresPastTheLimitLockExactlyOnce()
    {
        await using var host = new IdentityHost(database: Database); // limit 3
        var user = await host.CreateUserAsync();

        var outcomes = await Parallel(20, async scope =>
            await scope.Users.RecordFailedPasswordAsync(await scope.LoadAsync(user)), host);

        Assert.Single(outcomes, o => o == FailedAttemptOutcome.LockedNow);
        Assert.Equal(2, outcomes.Count(o => o == FailedAttemptOutcome.Counted));
        Assert.Equal(17, outcomes.Count(o => o == FailedAttemptOutcome.AlreadyLocked));
        Assert.Equal(3, (await host.ReloadAsync(user)).AccessFailedCount);
    }

    [Fact]
    public async Task TwentyParallelUsesOfOneValidCodeSucceedExactlyOnce()
    {
        var user = await _host.CreateUserAsync();
        string code;
        await using (var scope = _host.NewScope())
        {
            code = await scope.Users.GenerateUserTokenAsync(await scope.LoadAsync(user), SmsCodeTokenProvider.ProviderName, CodePurposes.Unlock);
        }

        var results = await Parallel(20, async scope =>
            await scope.Users.CheckCodeAsync(await scope.LoadAsync(user), CodePurposes.Unlock, code));

        Assert.Single(results, r => r == SmsCodeCheckResult.Valid);
        Assert.All(results.Where(r => r != SmsCodeCheckResult.Valid), r => Assert.Equal(SmsCodeCheckResult.Missing, r));
    }

    private async Task<T[]> Parallel<T>(int count, Func<IdentityHost.Scope, Task<T>> action, IdentityHost? host = null)
    {
        host ??= _host;
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, count).Select(_ => Task.Run(async () =>
        {
            await using var scope = host.NewScope();
            start.Wait();
            return await action(scope);
        })).ToArray();
        start.Set();
        return await Task.WhenAll(tasks);
    }

    public sealed class OnSqlite() : AtomicityTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : AtomicityTests(DatabaseKind.PostgreSql);
}
