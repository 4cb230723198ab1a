using System.Text;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>Recovery codes through the manager, on each database engine: single use, hashed at rest, bound to their
/// account, counted toward the lock like wrong passwords.</summary>
public abstract class RecoveryCodeTests : IAsyncLifetime
{
    private readonly IdentityHost _host;

    protected RecoveryCodeTests(DatabaseKind database) => _host = new IdentityHost(database: database);

    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [Fact]
    public async Task ASetIsTenDistinctWellFormedCodesAndIsRecorded()
    {
        var user = await _host.CreateUserAsync();

        var codes = await GenerateAsync(user);

        Assert.Equal(10, codes.Count);
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$", c));
        await using var scope = _host.NewScope();
        Assert.Equal(10, await scope.Users.CountRecoveryCodesAsync(await scope.LoadAsync(user)));
        Assert.Contains(await scope.Db.SecurityEvents.Where(e => e.UserId == user.Id).Select(e => e.Kind).ToListAsync(),
            k => k == SecurityEventKinds.RecoveryCodesGenerated);
    }

    [Fact]
    public async Task CodesAreStoredOnlyAsKeyedHashes()
    {
        var user = await _host.CreateUserAsync();
        var codes = await GenerateAsync(user);

        await using var scope = _host.NewScope();
        var rows = await scope.Db.RecoveryCodes.AsNoTracking().Where(c => c.UserId == user.Id).ToListAsync();
        Assert.Equal(10, rows.Count);
        Assert.All(rows, r => Assert.Equal(32, r.CodeHash.Length));
        var stored = rows.SelectMany(r => new[] { Convert.ToHexString(r.CodeHash), Encoding.UTF8.GetString(r.CodeHash) }).ToList();
        foreach (var code in codes)
        {
            var plain = code.Replace("-", "", StringComparison.Ordinal);
            Assert.DoesNotContain(stored, s => s.Contains(plain, StringComparison.OrdinalIgnoreCase));
            // Not a plain (unkeyed) hash either: one who has only the database cannot test a guess.
            Assert.DoesNotContain(rows, r => r.CodeHash.SequenceEqual(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(plain))));
        }
    }

    [Fact]
    public async Task ACodeWorksOnceInAnyCaseWithOrWithoutTheDash()
    {
        var user = await _host.CreateUserAsync();
        var codes = await GenerateAsync(user);

        Assert.Equal(RecoveryCodeResult.Used, await UseAsync(user, codes[0].ToLowerInvariant()));
        Assert.Equal(RecoveryCodeResult.Used, await UseAsync(user, " " + codes[1].Replace("-", " ", StringComparison.Ordinal)));
        Assert.Equal(RecoveryCodeResult.Used, await UseAsync(user, codes[2].Replace("-", "", StringComparison.Ordinal)));
        Assert.Equal(RecoveryCodeResult.Wrong, await UseAsync(user, codes[0]));

        await using var scope = _host.NewScope();
        Assert.Equal(7, await scope.Users.CountRecoveryCodesAsync(await scope.LoadAsync(user)));
    }

    [Fact]
    public async Task TwentyParallelUsesOfOneCodeSucceedExactlyOnce()
    {
        await using var host = new IdentityHost(s => s["TwoFactor:MaxFailedAccessAttempts"] = "25", database: _host.Database);
        var user = await host.CreateUserAsync();
        var codes = await GenerateAsync(user, host);

        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            await using var scope = host.NewScope();
            var loaded = await scope.LoadAsync(user);
            start.Wait();
            return await scope.Users.UseRecoveryCodeAsync(loaded, codes[0]);
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.Single(results, r => r == RecoveryCodeResult.Used);
        Assert.Equal(19, results.Count(r => r == RecoveryCodeResult.Wrong));
        Assert.Equal(9, await CountAsync(user, host));
    }

    [Fact]
    public async Task ANewSetReplacesTheOldOne()
    {
        var user = await _host.CreateUserAsync();
        var old = await GenerateAsync(user);
        var fresh = await GenerateAsync(user);

        Assert.Equal(10, await CountAsync(user));
        Assert.Equal(RecoveryCodeResult.Wrong, await UseAsync(user, old[0]));
        Assert.Equal(RecoveryCodeResult.Used, await UseAsync(user, fresh[0]));
    }

    [Fact]
    public async Task TwoParallelNewSetsLeaveOneSetOfTen()
    {
        var user = await _host.CreateUserAsync();
        var sets = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => GenerateAsync(user))));

        Assert.Equal(10, await CountAsync(user));
        var working = 0;
        foreach (var set in sets)
        {
            working += await UseAsync(user, set[0]) == RecoveryCodeResult.Used ? 1 : 0;
        }
        Assert.Equal(1, working);
    }

    [Fact]
    public async Task ACodeWorksOnlyForItsOwnAccount()
    {
        var owner = await _host.CreateUserAsync();
        var other = await _host.CreateUserAsync();
        var codes = await GenerateAsync(owner);
        await GenerateAsync(other);

        Assert.Equal(RecoveryCodeResult.Wrong, await UseAsync(other, codes[0]));
        Assert.Equal(RecoveryCodeResult.Used, await UseAsync(owner, codes[0]));
    }

    [Fact]
    public async Task ATextedCodeIsNotARecoveryCodeAndARecoveryCodeIsNotATextedCode()
    {
        var user = await _host.CreateUserAsync();
        var codes = await GenerateAsync(user);
        string texted;
        await using (var scope = _host.NewScope())
        {
            texted = await scope.Users.GenerateUserTokenAsync(await scope.LoadAsync(user), SmsCodeTokenProvider.ProviderName, CodePurposes.SignIn);
        }

        Assert.Equal(RecoveryCodeResult.Wrong, await UseAsync(user, texted));
        await using (var scope = _host.NewScope())
        {
            Assert.NotEqual(SmsCodeCheckResult.Valid, await scope.Users.CheckCodeAsync(await scope.LoadAsync(user), CodePurposes.SignIn, codes[0]));
        }
        Assert.Equal(RecoveryCodeResult.Used, await UseAsync(user, codes[0]));
    }

    [Fact]
    public async Task WrongCodesCountTowardTheLockLikeWrongPasswords()
    {
        var user = await _host.CreateUserAsync();
        var codes = await GenerateAsync(user);
        await using (var scope = _host.NewScope())
        {
            Assert.Equal(FailedAttemptOutcome.Counted, await scope.Users.RecordFailedPasswordAsync(await scope.LoadAsync(user)));
        }

        Assert.Equal(RecoveryCodeResult.Wrong, await UseAsync(user, "AAAAA-AAAAA"));
        Assert.Equal(RecoveryCodeResult.LockedNow, await UseAsync(user, "not even a code"));
        Assert.Equal(RecoveryCodeResult.Locked, await UseAsync(user, "BBBBB-BBBBB"));

        var reloaded = await _host.ReloadAsync(user);
        Assert.Equal(3, reloaded.AccessFailedCount);
        Assert.NotNull(reloaded.LockoutEnd);
        await using var check = _host.NewScope();
        var kinds = await check.Db.SecurityEvents.Where(e => e.UserId == user.Id).Select(e => e.Kind).ToListAsync();
        Assert.Equal(3, kinds.Count(k => k == SecurityEventKinds.RecoveryCodeFailed));
        Assert.Single(kinds, k => k == SecurityEventKinds.Locked);
        Assert.Equal(codes.Count, await CountAsync(user));
    }

    [Fact]
    public async Task IdentitysOwnRecoveryCodeCallsUseTheHashedStore()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);

        var codes = (await scope.Users.GenerateNewTwoFactorRecoveryCodesAsync(loaded, 5))!.ToList();

        Assert.Equal(10, await scope.Users.CountRecoveryCodesAsync(loaded));
        Assert.True((await scope.Users.RedeemTwoFactorRecoveryCodeAsync(loaded, codes[3])).Succeeded);
        Assert.False((await scope.Users.RedeemTwoFactorRecoveryCodeAsync(loaded, codes[3])).Succeeded);
        Assert.Equal(9, await scope.Users.CountRecoveryCodesAsync(loaded));
    }

    [Fact]
    public async Task UnlocksALockedAccountOnceAndLeavesAnOpenOneAndItsCodesAlone()
    {
        var user = await _host.CreateUserAsync();
        var codes = await GenerateAsync(user);
        await using (var scope = _host.NewScope())
        {
            Assert.Equal(UnlockResult.NotLocked, await scope.Users.UnlockWithRecoveryCodeAsync(await scope.LoadAsync(user), codes[0]));
        }
        Assert.Equal(10, await CountAsync(user));
        await LockAsync(user);

        await using (var scope = _host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            Assert.Equal(UnlockResult.Wrong, await scope.Users.UnlockWithRecoveryCodeAsync(loaded, "AAAAA-AAAAA"));
            Assert.True(await scope.Users.IsLockedOutAsync(loaded));
            Assert.Equal(UnlockResult.Unlocked, await scope.Users.UnlockWithRecoveryCodeAsync(loaded, codes[0]));
        }

        var reloaded = await _host.ReloadAsync(user);
        Assert.Null(reloaded.LockoutEnd);
        Assert.Equal(0, reloaded.AccessFailedCount);
        Assert.Equal(9, await CountAsync(user));
        await LockAsync(user);
        await using (var scope = _host.NewScope())
        {
            Assert.Equal(UnlockResult.Wrong, await scope.Users.UnlockWithRecoveryCodeAsync(await scope.LoadAsync(user), codes[0]));
        }
        await using var check = _host.NewScope();
        var kinds = await check.Db.SecurityEvents.Where(e => e.UserId == user.Id).Select(e => e.Kind).ToListAsync();
        Assert.Single(kinds, k => k == SecurityEventKinds.UnlockedWithRecoveryCode);
        Assert.Equal(2, kinds.Count(k => k == SecurityEventKinds.RecoveryCodeFailed));
    }

    [Fact]
    public void NormalizingAcceptsOnlyTenCharactersOfTheAlphabet()
    {
        Assert.Equal("ABCDE23456", RecoveryCodeFormat.Normalize("abcde-23456"));
        Assert.Equal("ABCDE23456", RecoveryCodeFormat.Normalize(" ABCDE 23456 "));
        Assert.Null(RecoveryCodeFormat.Normalize("ABCDE-2345"));
        Assert.Null(RecoveryCodeFormat.Normalize("ABCDE-234567"));
        Assert.Null(RecoveryCodeFormat.Normalize("ABCDE-2345O")); // O is not in the alphabet
        Assert.Null(RecoveryCodeFormat.Normalize("123456"));
        Assert.Null(RecoveryCodeFormat.Normalize(null));
        Assert.Null(RecoveryCodeFormat.Normalize(new string('A', 50)));
    }

    private Task<IReadOnlyList<string>> GenerateAsync(TwoFactorUser user) => GenerateAsync(user, _host);

    private async Task LockAsync(TwoFactorUser user)
    {
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        for (var i = 0; i < 3; i++)
        {
            await scope.Users.RecordFailedPasswordAsync(loaded);
        }
        Assert.True(await scope.Users.IsLockedOutAsync(loaded));
    }

    private static async Task<IReadOnlyList<string>> GenerateAsync(TwoFactorUser user, IdentityHost host)
    {
        await using var scope = host.NewScope();
        return await scope.Users.GenerateRecoveryCodesAsync(await scope.LoadAsync(user));
    }

    private async Task<RecoveryCodeResult> UseAsync(TwoFactorUser user, string code)
    {
        await using var scope = _host.NewScope();
        return await scope.Users.UseRecoveryCodeAsync(await scope.LoadAsync(user), code);
    }

    private Task<int> CountAsync(TwoFactorUser user) => CountAsync(user, _host);

    private static async Task<int> CountAsync(TwoFactorUser user, IdentityHost host)
    {
        await using var scope = host.NewScope();
        return await scope.Users.CountRecoveryCodesAsync(await scope.LoadAsync(user));
    }

    public sealed class OnSqlite() : RecoveryCodeTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : RecoveryCodeTests(DatabaseKind.PostgreSql);
}
