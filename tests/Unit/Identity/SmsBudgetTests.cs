using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>The SMS budget through the real provider and database, on the fake clock.</summary>
public abstract class SmsBudgetTests
{
    protected SmsBudgetTests(DatabaseKind database) => Database = database;

    protected DatabaseKind Database { get; }

    private static Action<IDictionary<string, string?>> Budget(string cooldown = "00:01:00", int perHour = 5, int perDay = 1000,
        int perNumberHour = 0, int perNumberDay = 0, int signupShare = 50) => s =>
    {
        s["TwoFactor:ResendCooldown"] = cooldown;
        s["TwoFactor:MaxTextsPerHour"] = perHour.ToString(System.Globalization.CultureInfo.InvariantCulture);
        s["TwoFactor:MaxTextsPerDay"] = perDay.ToString(System.Globalization.CultureInfo.InvariantCulture);
        s["TwoFactor:MaxTextsPerNumberPerHour"] = perNumberHour.ToString(System.Globalization.CultureInfo.InvariantCulture);
        s["TwoFactor:MaxTextsPerNumberPerDay"] = perNumberDay.ToString(System.Globalization.CultureInfo.InvariantCulture);
        s["TwoFactor:SignupShareOfDailyTexts"] = signupShare.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
        Assert.Equal(SmsCodeCheckResult.Valid, await scope.Users.CheckCodeAsync(await scope.LoadAsync(user), CodePurposes.Unlock, code!));
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
        Assert.Equal(SmsCodeCheckResult.Valid, await scope.Users.CheckCodeAsync(await scope.LoadAsync(user), CodePurposes.Unlock, first!));
    }

    [Fact]
    public async Task AnEmailWithoutAnAccountMeetsTheSameCooldown()
    {
        await using var host = new IdentityHost(Budget(), database: Database);
        await using var scope = host.NewScope();
        var budget = scope.Services.GetRequiredService<ISmsBudget>();
        var key = budget.KeyForEmail("Nobody@Example.com");

        var first = await budget.TryClaimAccountAsync(key, ignoreCooldown: false, default);
        var second = await budget.TryClaimAccountAsync(budget.KeyForEmail(" nobody@example.COM "), ignoreCooldown: false, default);

        Assert.True(first.Allowed);
        Assert.Equal(BudgetRefusal.Cooldown, second.Refusal);
        Assert.Equal(TimeSpan.FromSeconds(60), second.RetryAfter);
    }

    [Fact]
    public async Task ARequestForAnEmailWithoutAnAccountWritesNothingShared()
    {
        await using var host = new IdentityHost(Budget(perDay: 3), database: Database);
        await using (var scope = host.NewScope())
        {
            for (var i = 0; i < 5; i++)
            {
                await scope.Users.SendCodeIfAsync(null, false, CodePurposes.Unlock, $"nobody-{i}@example.com");
            }
        }

        var keys = await KeysAsync(host);
        Assert.DoesNotContain(keys, k => k.StartsWith("site:", StringComparison.Ordinal) || k.StartsWith("number", StringComparison.Ordinal));
        var user = await host.CreateUserAsync();
        Assert.True((await SendAsync(host, user)).Sent);
    }

    [Fact]
    public async Task ACancelledSendIsRefundedLikeAFailedOne()
    {
        await using var ringCentral = await FakeRingCentralServer.StartNewAsync();
        await using var host = new IdentityHost(Budget(), ringCentral: ringCentral, database: Database);
        var user = await host.CreateUserAsync();
        ringCentral.SmsLatency = TimeSpan.FromSeconds(10);

        using (var disconnected = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            await using var scope = host.NewScope();
            var loaded = await scope.LoadAsync(user);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scope.Users.SendCodeAsync(loaded, CodePurposes.Unlock, disconnected.Token));
        }
        ringCentral.SmsLatency = TimeSpan.Zero;

        await using (var scope = host.NewScope())
        {
            Assert.All(await scope.Db.SendBudgets.AsNoTracking().ToListAsync(), b => Assert.Equal(0, b.CountInWindow));
        }
        Assert.True((await SendAsync(host, user)).Sent);
    }

    [Fact]
    public async Task TextsToOneNumberAreCappedAcrossAccountsAndPurposes()
    {
        await using var host = new IdentityHost(Budget(cooldown: "00:00:00", perHour: 0, perNumberHour: 3, perNumberDay: 10), database: Database);
        var first = await host.CreateUserAsync();
        var second = await host.CreateUserAsync(); // the same number

        var results = new List<SendCodeResult>
        {
            await SendAsync(host, first),
            await SendAsync(host, second, CodePurposes.ResetPassword),
            await SendAsync(host, first, CodePurposes.SignIn),
        };
        host.Clock.Advance(TimeSpan.FromMinutes(20));
        var fourth = await SendAsync(host, second);

        Assert.All(results, r => Assert.True(r.Sent));
        Assert.Equal(BudgetRefusal.NumberHourlyCap, fourth.Refused?.Refusal);
        Assert.Equal(TimeSpan.FromMinutes(40), fourth.Refused?.RetryAfter);
        Assert.Equal(3, host.Outbox.Messages.Count);
        var other = await host.CreateUserAsync(phone: "+16505559876");
        Assert.True((await SendAsync(host, other)).Sent);
        host.Clock.Advance(TimeSpan.FromMinutes(40));
        Assert.True((await SendAsync(host, second)).Sent);
    }

    [Fact]
    public async Task NewNumbersGetOnlyTheirShareOfTheDayAndTheRestStaysForTheWayBackIn()
    {
        await using var host = new IdentityHost(Budget(cooldown: "00:00:00", perHour: 0, perDay: 4, signupShare: 50), database: Database);
        var users = new List<TwoFactorUser>();
        for (var i = 0; i < 5; i++)
        {
            users.Add(await host.CreateUserAsync(phone: $"+1650555{i:D4}", confirmedPhone: false));
        }

        var confirmations = new List<SendCodeResult>();
        foreach (var user in users.Take(3))
        {
            confirmations.Add(await SendAsync(host, user, CodePurposes.ConfirmPhone));
        }
        var locked = await host.CreateUserAsync(phone: "+16505550099");
        var unlocks = new[] { await SendAsync(host, locked), await SendAsync(host, locked), await SendAsync(host, locked) };

        Assert.Equal([true, true, false], confirmations.Select(r => r.Sent));
        Assert.Equal(BudgetRefusal.SignupShare, confirmations[2].Refused?.Refusal);
        Assert.Equal([true, true, false], unlocks.Select(r => r.Sent));
        Assert.Equal(BudgetRefusal.DailyCap, unlocks[2].Refused?.Refusal);
    }

    [Fact]
    public async Task RowsArePrunedOnceTheirWindowIsOver()
    {
        await using var host = new IdentityHost(Budget(perNumberHour: 3, perNumberDay: 10), database: Database);
        var user = await host.CreateUserAsync();
        Assert.True((await SendAsync(host, user)).Sent);
        await using (var scope = host.NewScope())
        {
            await scope.Users.SendCodeIfAsync(null, false, CodePurposes.ResetPassword, "nobody@example.com");
        }
        var all = await KeysAsync(host);
        Assert.Equal(5, all.Count); // two emails, the number's hour and day, the site's day

        host.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, await PruneAsync(host));
        host.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(3, await PruneAsync(host));
        Assert.All(await KeysAsync(host), k => Assert.True(k.StartsWith("site:", StringComparison.Ordinal) || k.StartsWith("number-d:", StringComparison.Ordinal), k));
        host.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(2, await PruneAsync(host));
        Assert.Empty(await KeysAsync(host));
        Assert.True((await SendAsync(host, user)).Sent);
    }

    [Fact]
    public async Task KeysNameNoEmailAndNoPhoneNumber()
    {
        await using var host = new IdentityHost(Budget(perNumberHour: 3, perNumberDay: 10), database: Database);
        var user = await host.CreateUserAsync();
        Assert.True((await SendAsync(host, user)).Sent);

        var keys = string.Join(" ", await KeysAsync(host));

        Assert.DoesNotContain("6505551234", keys, StringComparison.Ordinal);
        Assert.DoesNotContain(user.Email!.Split('@')[0], keys, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(user.Id, keys, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<int> PruneAsync(IdentityHost host)
    {
        await using var scope = host.NewScope();
        return await scope.Services.GetRequiredService<ISmsBudget>().PruneAsync(default);
    }

    private static async Task<List<string>> KeysAsync(IdentityHost host)
    {
        await using var scope = host.NewScope();
        return await scope.Db.SendBudgets.AsNoTracking().Select(b => b.Key).ToListAsync();
    }

    private static async Task<SendCodeResult> SendAsync(IdentityHost host, TwoFactorUser user, string purpose = CodePurposes.Unlock)
    {
        await using var scope = host.NewScope();
        return await scope.Users.SendCodeAsync(await scope.LoadAsync(user), purpose);
    }

    public sealed class OnSqlite() : SmsBudgetTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : SmsBudgetTests(DatabaseKind.PostgreSql);
}
