using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>The SMS budget through the real provider and database, on the fake clock.</summary>
public abstract class SmsBudgetTests
{
    protected SmsBudgetTests(DatabaseKind database) => Database = database;

    protected DatabaseKind Database { get; }

    private static Action<IDictionary<string, string?>> Budget(string cooldown = "00:01:00", int perHour = 5, int perDay = 1000) => s =>
    {
        s["TwoFactor:ResendCooldown"] = cooldown;
        s["TwoFactor:MaxTextsPerHour"] = perHour.ToString(System.Globalization.CultureInfo.InvariantCulture);
        s["TwoFactor:MaxTextsPerDay"] = perDay.ToString(System.Globalization.CultureInfo.InvariantCulture);
    };

    [Fact]
    public async Task ASecondTextWithinTheCooldownIsRefusedWithTheWait()
    {
        await using var host = new IdentityHost(Budget(), database: Database);
        var user = await host.CreateUserAsync();

        Assert.True((await SendAsync(host, user)).Sent);
        host.Clock.Advance(TimeSpan.FromSeconds(20));
        var second = await SendAsync(host, user);

        Assert.False(second.Sent);
        Assert.Equal(BudgetRefusal.Cooldown, second.Refused?.Refusal);
        Assert.Equal(TimeSpan.FromSeconds(40), second.Refused?.RetryAfter);
        Assert.Single(host.Outbox.Messages);

        host.Clock.Advance(TimeSpan.FromSeconds(40));
        Assert.True((await SendAsync(host, user)).Sent);
        Assert.Equal(2, host.Outbox.Messages.Count);
    }

    [Fact]
    public async Task TheHourlyCapHoldsAndSaysWhenItOpens()
    {
        await using var host = new IdentityHost(Budget(perHour: 5), database: Database);
        var user = await host.CreateUserAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await SendAsync(host, user)).Sent);
            host.Clock.Advance(TimeSpan.FromMinutes(2));
        }

        var sixth = await SendAsync(host, user);

        Assert.Equal(BudgetRefusal.HourlyCap, sixth.Refused?.Refusal);
        Assert.Equal(TimeSpan.FromMinutes(50), sixth.Refused?.RetryAfter);
        Assert.Equal(5, host.Outbox.Messages.Count);
        host.Clock.Advance(TimeSpan.FromMinutes(50));
        Assert.True((await SendAsync(host, user)).Sent);
    }

    [Fact]
    public async Task TheDailyCapStopsEveryAccountAndLogsAWarning()
    {
        await using var host = new IdentityHost(Budget(cooldown: "00:00:00", perHour: 0, perDay: 3), database: Database);
        var users = new List<TwoFactorUser>();
        for (var i = 0; i < 4; i++)
        {
            users.Add(await host.CreateUserAsync());
        }

        var results = new List<SendCodeResult>();
        foreach (var user in users)
        {
            results.Add(await SendAsync(host, user));
        }

        Assert.Equal([true, true, true, false], results.Select(r => r.Sent));
        Assert.Equal(BudgetRefusal.DailyCap, results[3].Refused?.Refusal);
        Assert.Equal(3, host.Outbox.Messages.Count);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("daily cap", StringComparison.Ordinal));
        host.Clock.Advance(TimeSpan.FromDays(1));
        Assert.True((await SendAsync(host, users[3])).Sent);
    }

    [Fact]
    public async Task ThirtyParallelSendsWithinTheCooldownTextOnce()
    {
        await using var host = new IdentityHost(Budget(), database: Database);
        var user = await host.CreateUserAsync();

        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 30).Select(_ => Task.Run(async () =>
        {
            await using var scope = host.NewScope();
            var loaded = await scope.LoadAsync(user);
            start.Wait();
            return await scope.Users.SendCodeAsync(loaded, CodePurposes.Unlock);
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.Single(results, r => r.Sent);
        Assert.All(results.Where(r => !r.Sent), r => Assert.Equal(BudgetRefusal.Cooldown, r.Refused?.Refusal));
        Assert.Single(host.Outbox.Messages);
    }

    [Fact]
    public async Task AFailedSendIsRefundedSoTheUserCanRetryAtOnce()
    {
        await using var ringCentral = await FakeRingCentralServer.StartNewAsync();
        await using var host = new IdentityHost(Budget(), ringCentral: ringCentral, database: Database);
        var user = await host.CreateUserAsync();
        ringCentral.FailNextSms(FakeFailure.ServerError);

        var failed = await SendAsync(host, user);
        var retried = await SendAsync(host, user);

        Assert.False(failed.Sent);
        Assert.NotNull(failed.Failure);
        Assert.Null(failed.Refused);
        Assert.True(retried.Sent);
        var code = ringCentral.LastCodeSentTo(user.PhoneNumber!);
        await using var scope = host.NewScope();
        Assert.Equal(CodeCheckResult.Valid, await scope.Users.CheckCodeAsync(await scope.LoadAsync(user), CodePurposes.Unlock, code!));
    }

    [Fact]
    public async Task AFailedSendKeepsThePreviousCode()
    {
        await using var ringCentral = await FakeRingCentralServer.StartNewAsync();
        await using var host = new IdentityHost(Budget(cooldown: "00:00:00"), ringCentral: ringCentral, database: Database);
        var user = await host.CreateUserAsync();
        Assert.True((await SendAsync(host, user)).Sent);
        var first = ringCentral.LastCodeSentTo(user.PhoneNumber!);
        ringCentral.FailNextSms(FakeFailure.RateLimited(42));

        var failed = await SendAsync(host, user);

        Assert.Equal(TimeSpan.FromSeconds(42), failed.Failure?.RetryAfter);
        await using var scope = host.NewScope();
        Assert.Equal(CodeCheckResult.Valid, await scope.Users.CheckCodeAsync(await scope.LoadAsync(user), CodePurposes.Unlock, first!));
    }

    [Fact]
    public async Task AnEmailWithoutAnAccountMeetsTheSameCooldown()
    {
        await using var host = new IdentityHost(Budget(), database: Database);
        await using var scope = host.NewScope();
        var budget = scope.Services.GetRequiredService<ISmsBudget>();
        var key = ISmsBudget.KeyForEmail("Nobody@Example.com");

        var first = await budget.TryClaimAsync(key, default);
        var second = await budget.TryClaimAsync(ISmsBudget.KeyForEmail(" nobody@example.COM "), default);

        Assert.True(first.Allowed);
        Assert.Equal(BudgetRefusal.Cooldown, second.Refusal);
        Assert.Equal(TimeSpan.FromSeconds(60), second.RetryAfter);
    }

    private static async Task<SendCodeResult> SendAsync(IdentityHost host, TwoFactorUser user)
    {
        await using var scope = host.NewScope();
        return await scope.Users.SendCodeAsync(await scope.LoadAsync(user), CodePurposes.Unlock);
    }

    public sealed class OnSqlite() : SmsBudgetTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : SmsBudgetTests(DatabaseKind.PostgreSql);
}
