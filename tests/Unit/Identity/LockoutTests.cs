using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Identity;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>The lockout rule through UserManager (what the sign-in manager calls), on a real SQLite file.</summary>
public abstract class LockoutTests : IAsyncLifetime
{
    private const string Wrong = "not the password";
    private readonly IdentityHost _host;

    protected LockoutTests(DatabaseKind database)
    {
        Database = database;
        _host = new IdentityHost(database: database);
    }

    protected DatabaseKind Database { get; }

    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [Fact]
    public async Task TwoFailuresThenASuccessResetTheCount()
    {
        var user = await _host.CreateUserAsync();
        await FailAsync(user, 2);

        await using (var scope = _host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            Assert.Equal(2, loaded.AccessFailedCount);
            Assert.True(await scope.Users.CheckPasswordAsync(loaded, IdentityHost.Password));
            await scope.Users.ResetAccessFailedCountAsync(loaded);
        }

        Assert.Equal(0, (await _host.ReloadAsync(user)).AccessFailedCount);
        Assert.Equal([FailedAttemptOutcome.Counted, FailedAttemptOutcome.Counted], await FailAsync(user, 2));
    }

    [Fact]
    public async Task TheThirdFailureLocksAndIsTheOneReported()
    {
        var user = await _host.CreateUserAsync();

        var outcomes = await FailAsync(user, 3);

        Assert.Equal([FailedAttemptOutcome.Counted, FailedAttemptOutcome.Counted, FailedAttemptOutcome.LockedNow], outcomes);
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        Assert.True(await scope.Users.IsLockedOutAsync(loaded));
        Assert.Equal(3, loaded.AccessFailedCount);
    }

    [Fact]
    public async Task FailuresWhileLockedAreNotCounted()
    {
        var user = await _host.CreateUserAsync();
        await FailAsync(user, 3);

        Assert.Equal([FailedAttemptOutcome.AlreadyLocked, FailedAttemptOutcome.AlreadyLocked], await FailAsync(user, 2));
        Assert.Equal(3, (await _host.ReloadAsync(user)).AccessFailedCount);
    }

    [Fact]
    public async Task TheLockDoesNotExpireOnItsOwnByDefault()
    {
        var user = await _host.CreateUserAsync();
        await FailAsync(user, 3);

        _host.Clock.Advance(TimeSpan.FromDays(400));

        await using var scope = _host.NewScope();
        Assert.True(await scope.Users.IsLockedOutAsync(await scope.LoadAsync(user)));
    }

    [Fact]
    public async Task AConfiguredLockoutDurationEndsTheLock()
    {
        await using var host = new IdentityHost(s => s["TwoFactor:LockoutDuration"] = "00:15:00", database: Database);
        var user = await host.CreateUserAsync();
        await using var scope = host.NewScope();
        var loaded = await scope.LoadAsync(user);
        for (var i = 0; i < 3; i++)
        {
            await scope.Users.RecordFailedPasswordAsync(loaded);
        }
        Assert.True(await scope.Users.IsLockedOutAsync(loaded));

        host.Clock.Advance(TimeSpan.FromMinutes(15));

        Assert.False(await scope.Users.IsLockedOutAsync(loaded));
    }

    [Fact]
    public async Task ASignInAfterATimedLockExpiredStartsTheCountFromZero()
    {
        await using var host = new IdentityHost(s => s["TwoFactor:LockoutDuration"] = "00:15:00", database: Database);
        var user = await host.CreateUserAsync();
        await LockUntilExpiredAsync(host, user);

        await using (var scope = host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            Assert.True(await scope.Users.CheckPasswordAsync(loaded, IdentityHost.Password));
            await scope.Users.ResetAccessFailedCountAsync(loaded);
        }

        Assert.Equal(0, (await host.ReloadAsync(user)).AccessFailedCount);
        await using (var scope = host.NewScope())
        {
            // One typo after that is one failure, not a new lock (and a new text).
            Assert.Equal(FailedAttemptOutcome.Counted, await scope.Users.RecordFailedPasswordAsync(await scope.LoadAsync(user)));
        }
    }

    [Fact]
    public async Task TheStoreResetsTheCountWhateverTheLockEndDateIs()
    {
        var user = await _host.CreateUserAsync();
        await FailAsync(user, 3);

        await using (var scope = _host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            await ((IUserLockoutStore<TwoFactorUser>)scope.Store).ResetAccessFailedCountAsync(loaded, CancellationToken.None);
        }

        var after = await _host.ReloadAsync(user);
        Assert.Equal(0, after.AccessFailedCount);
        Assert.NotNull(after.LockoutEnd); // Identity's contract: the count only; the lock is the lock end date's business.
    }

    [Fact]
    public async Task MaxFailedAccessAttemptsIsConfigurable()
    {
        await using var host = new IdentityHost(s => s["TwoFactor:MaxFailedAccessAttempts"] = "5", database: Database);
        var user = await host.CreateUserAsync();
        await using var scope = host.NewScope();
        var loaded = await scope.LoadAsync(user);

        var outcomes = new List<FailedAttemptOutcome>();
        for (var i = 0; i < 5; i++)
        {
            outcomes.Add(await scope.Users.RecordFailedPasswordAsync(loaded));
        }

        Assert.Equal(FailedAttemptOutcome.LockedNow, outcomes[4]);
        Assert.All(outcomes.Take(4), o => Assert.Equal(FailedAttemptOutcome.Counted, o));
    }

    [Fact]
    public async Task TheRightCodeUnlocksAndRestoresLogin()
    {
        var user = await _host.CreateUserAsync();
        await FailAsync(user, 3);
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        var sent = await scope.Users.SendCodeAsync(loaded, CodePurposes.Unlock);
        Assert.True(sent.Sent);
        var code = _host.Outbox.Messages[0].Text[..6];

        Assert.Equal(UnlockResult.Unlocked, await scope.Users.UnlockWithCodeAsync(loaded, code));

        var after = await _host.ReloadAsync(user);
        Assert.Null(after.LockoutEnd);
        Assert.Equal(0, after.AccessFailedCount);
        Assert.False(await scope.Users.IsLockedOutAsync(after));
        Assert.Equal(FailedAttemptOutcome.Counted, (await FailAsync(user, 1))[0]);
    }

    [Fact]
    public async Task AWrongCodeKeepsTheLockAndBurnsTheCode()
    {
        var user = await _host.CreateUserAsync();
        await FailAsync(user, 3);
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        await scope.Users.SendCodeAsync(loaded, CodePurposes.Unlock);
        var code = _host.Outbox.Messages[0].Text[..6];
        var wrong = code == "000000" ? "111111" : "000000";

        Assert.Equal(UnlockResult.Wrong, await scope.Users.UnlockWithCodeAsync(loaded, wrong));
        Assert.Equal(UnlockResult.Missing, await scope.Users.UnlockWithCodeAsync(loaded, code));
        Assert.True(await scope.Users.IsLockedOutAsync(await _host.ReloadAsync(user)));
    }

    [Fact]
    public async Task UnlockingAnOpenAccountSaysNotLocked()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        var code = await scope.Users.GenerateUserTokenAsync(loaded, SmsCodeTokenProvider.ProviderName, CodePurposes.Unlock);

        Assert.Equal(UnlockResult.NotLocked, await scope.Users.UnlockWithCodeAsync(loaded, code));
    }

    [Fact]
    public async Task ResendingACodeKeepsTheCountAndTheLock()
    {
        var user = await _host.CreateUserAsync();
        await FailAsync(user, 2);
        await using (var scope = _host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            await scope.Users.SendCodeAsync(loaded, CodePurposes.Unlock);
            await scope.Users.SendCodeAsync(loaded, CodePurposes.ResetPassword);
        }
        Assert.Equal(2, (await _host.ReloadAsync(user)).AccessFailedCount);

        await FailAsync(user, 1);
        await using (var scope = _host.NewScope())
        {
            await scope.Users.SendCodeAsync(await scope.LoadAsync(user), CodePurposes.Unlock);
        }
        var after = await _host.ReloadAsync(user);
        Assert.Equal(3, after.AccessFailedCount);
        Assert.NotNull(after.LockoutEnd);
    }

    [Fact]
    public async Task APasswordResetByCodeClearsTheLock()
    {
        var user = await _host.CreateUserAsync();
        await FailAsync(user, 3);
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);

        var code = await scope.Users.GeneratePasswordResetTokenAsync(loaded);
        Assert.True((await scope.Users.ResetPasswordAsync(loaded, code, "a new long passphrase")).Succeeded);

        var after = await _host.ReloadAsync(user);
        Assert.Null(after.LockoutEnd);
        Assert.Equal(0, after.AccessFailedCount);
    }

    [Fact]
    public async Task IdentityAccessFailedAsyncFollowsTheSameRule()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await ((UserManager<TwoFactorUser>)scope.Users).AccessFailedAsync(loaded)).Succeeded);
        }

        Assert.True(await scope.Users.IsLockedOutAsync(loaded));
        Assert.Equal(3, (await _host.ReloadAsync(user)).AccessFailedCount);
    }

    /// <summary>The interleaving of two requests: a right password counted first, then the attempt that reached the limit
    /// (a wrong one) locked provisionally; the right one finishes first and resets the count, so the wrong one counts after
    /// it and the account stays open.</summary>
    [Fact]
    public async Task ARightPasswordTakenBackDuringAProvisionalLockKeepsTheAccountOpen()
    {
        var user = await _host.CreateUserAsync();
        var now = _host.Clock.GetUtcNow().UtcDateTime;
        await using var right = _host.NewScope();
        await using var wrong = _host.NewScope();
        var rightUser = await right.LoadAsync(user);
        var wrongUser = await wrong.LoadAsync(user);
        await FailAsync(user, 1);

        Assert.Equal(FailedAttemptOutcome.Counted, await Counter(right).RecordFailedAttemptAsync(rightUser, 3, TwoFactorUserManager.ProvisionalLockEnd, now, default));
        Assert.Equal(FailedAttemptOutcome.LockedNow, await Counter(wrong).RecordFailedAttemptAsync(wrongUser, 3, TwoFactorUserManager.ProvisionalLockEnd, now, default));
        Assert.True(await wrong.Users.IsLockedOutAsync(wrongUser));
        Assert.True(await Counter(right).ForgiveFailedAttemptAsync(rightUser, lockedByIt: false, resetCount: true, now, default));
        Assert.False(await Counter(wrong).ConfirmLockAsync(wrongUser, 3, TwoFactorUserManager.LockedUntilUnlocked, default));

        var after = await _host.ReloadAsync(user);
        Assert.Null(after.LockoutEnd);
        Assert.Equal(1, after.AccessFailedCount);
    }

    /// <summary>The same two requests the other way round: the wrong one is decided first, its lock becomes final, and the
    /// right password in flight loses to it.</summary>
    [Fact]
    public async Task AProvisionalLockProvedWrongIsFinalAndARightPasswordInFlightLosesToIt()
    {
        var user = await _host.CreateUserAsync();
        var now = _host.Clock.GetUtcNow().UtcDateTime;
        await using var right = _host.NewScope();
        await using var wrong = _host.NewScope();
        var rightUser = await right.LoadAsync(user);
        var wrongUser = await wrong.LoadAsync(user);
        await FailAsync(user, 1);

        Assert.Equal(FailedAttemptOutcome.Counted, await Counter(right).RecordFailedAttemptAsync(rightUser, 3, TwoFactorUserManager.ProvisionalLockEnd, now, default));
        Assert.Equal(FailedAttemptOutcome.LockedNow, await Counter(wrong).RecordFailedAttemptAsync(wrongUser, 3, TwoFactorUserManager.ProvisionalLockEnd, now, default));
        Assert.True(await Counter(wrong).ConfirmLockAsync(wrongUser, 3, TwoFactorUserManager.LockedUntilUnlocked, default));
        Assert.False(await Counter(right).ForgiveFailedAttemptAsync(rightUser, lockedByIt: false, resetCount: true, now, default));

        var after = await _host.ReloadAsync(user);
        Assert.Equal(TwoFactorUserManager.LockedUntilUnlocked, after.LockoutEnd);
        Assert.Equal(3, after.AccessFailedCount);
    }

    /// <summary>A password check that finds the account locked provisionally waits for the answer: open again, it is
    /// compared and signs in; locked for good, it is refused without comparing.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task APasswordCheckWaitsForAProvisionalLockToBeDecided(bool lockerWasRight)
    {
        var user = await _host.CreateUserAsync();
        var now = _host.Clock.GetUtcNow().UtcDateTime;
        await FailAsync(user, 2);
        await using var locker = _host.NewScope();
        var lockerUser = await locker.LoadAsync(user);
        Assert.Equal(FailedAttemptOutcome.LockedNow, await Counter(locker).RecordFailedAttemptAsync(lockerUser, 3, TwoFactorUserManager.ProvisionalLockEnd, now, default));

        await using var waiter = _host.NewScope();
        var check = waiter.Users.CheckPasswordWithLockoutAsync(await waiter.LoadAsync(user), IdentityHost.Password);
        await Task.Delay(300);
        Assert.False(check.IsCompleted, "The check answered before the provisional lock was decided.");
        if (lockerWasRight)
        {
            Assert.True(await Counter(locker).ForgiveFailedAttemptAsync(lockerUser, lockedByIt: true, resetCount: true, now, default));
        }
        else
        {
            Assert.True(await Counter(locker).ConfirmLockAsync(lockerUser, 3, TwoFactorUserManager.LockedUntilUnlocked, default));
        }

        Assert.Equal(lockerWasRight ? PasswordCheckResult.Success : PasswordCheckResult.Locked, await check);
    }

    /// <summary>The counter's statements leave the in-memory copy equal to the row, whether the copy was current (the usual
    /// case, answered without reading the row back) or stale (another request changed the row since it was read), and
    /// whether the account is open or its timed lock has expired.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task EachCounterStatementLeavesTheCopyEqualToTheRow(bool staleCopy, bool expiredLock)
    {
        await using var host = new IdentityHost(s => s["TwoFactor:LockoutDuration"] = "00:15:00", database: Database);
        var user = await host.CreateUserAsync();
        if (expiredLock)
        {
            await LockUntilExpiredAsync(host, user);
        }
        await using var scope = host.NewScope();
        var copy = await scope.LoadAsync(user);
        if (staleCopy)
        {
            await using var other = host.NewScope();
            Assert.Equal(FailedAttemptOutcome.Counted, await other.Users.RecordFailedPasswordAsync(await other.LoadAsync(user)));
        }
        var now = host.Clock.GetUtcNow();

        Assert.Equal(FailedAttemptOutcome.Counted, await Counter(scope).RecordFailedAttemptAsync(copy, 3, TwoFactorUserManager.ProvisionalLockEnd, now, default));
        var row = await host.ReloadAsync(user);
        Assert.Equal((row.AccessFailedCount, row.LockoutEnd), (copy.AccessFailedCount, copy.LockoutEnd));
        Assert.Equal(staleCopy ? 2 : 1, row.AccessFailedCount);

        Assert.True(await Counter(scope).ForgiveFailedAttemptAsync(copy, lockedByIt: false, resetCount: true, now, default));
        row = await host.ReloadAsync(user);
        Assert.Equal((0, (DateTimeOffset?)null), (row.AccessFailedCount, row.LockoutEnd));
        Assert.Equal((row.AccessFailedCount, row.LockoutEnd), (copy.AccessFailedCount, copy.LockoutEnd));
    }

    /// <summary>Three failures in one scope lock the account on a host with a 15-minute lock; the clock then passes its end.</summary>
    private static async Task LockUntilExpiredAsync(IdentityHost host, TwoFactorUser user)
    {
        await using (var scope = host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            for (var i = 0; i < 3; i++)
            {
                await scope.Users.RecordFailedPasswordAsync(loaded);
            }
        }
        host.Clock.Advance(TimeSpan.FromMinutes(16));
    }

    private static IUserSmsTwoFactorStore<TwoFactorUser> Counter(IdentityHost.Scope scope) =>
        (IUserSmsTwoFactorStore<TwoFactorUser>)scope.Store;

    /// <summary>Each failure in its own scope, as separate requests would be.</summary>
    private async Task<FailedAttemptOutcome[]> FailAsync(TwoFactorUser user, int times)
    {
        var outcomes = new FailedAttemptOutcome[times];
        for (var i = 0; i < times; i++)
        {
            await using var scope = _host.NewScope();
            var loaded = await scope.LoadAsync(user);
            Assert.False(await scope.Users.CheckPasswordAsync(loaded, Wrong));
            outcomes[i] = await scope.Users.RecordFailedPasswordAsync(loaded);
        }
        return outcomes;
    }

    public sealed class OnSqlite() : LockoutTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : LockoutTests(DatabaseKind.PostgreSql);
}
