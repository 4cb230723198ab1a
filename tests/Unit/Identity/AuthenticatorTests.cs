using System.Text;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Support;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>The authenticator app through the manager, on each database engine: pending until confirmed, key protected at
/// rest, each code accepted once (also under 20 parallel submissions), replay and older steps refused on a fake clock,
/// wrong codes counted toward the lock, purposes kept apart.</summary>
public abstract class AuthenticatorTests : IAsyncLifetime
{
    private readonly IdentityHost _host;

    protected AuthenticatorTests(DatabaseKind database) => _host = new IdentityHost(database: database);

    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [Fact]
    public async Task ASetupIsPendingUntilConfirmedWithACodeFromTheApp()
    {
        var user = await _host.CreateUserAsync();
        var key = await StartAsync(user);

        Assert.False(await HasAppAsync(user));
        Assert.Equal(AuthenticatorCodeResult.Wrong, await UseAsync(user, CodeNow(key)));
        Assert.Equal(AuthenticatorConfirmResult.Wrong, await ConfirmAsync(user, "000000" == CodeNow(key) ? "111111" : "000000"));
        Assert.False(await HasAppAsync(user));

        Assert.Equal(AuthenticatorConfirmResult.Added, await ConfirmAsync(user, CodeNow(key)));

        Assert.True(await HasAppAsync(user));
        Assert.True((await _host.ReloadAsync(user)).TwoFactorEnabled);
        Assert.Contains(SecurityEventKinds.AuthenticatorAdded, await EventsAsync(user));
        await using var scope = _host.NewScope();
        Assert.Null(await scope.Users.GetPendingAuthenticatorSetupAsync(await scope.LoadAsync(user)));
    }

    [Fact]
    public async Task ASetupNotConfirmedWithinAnHourCannotBeConfirmed()
    {
        var user = await _host.CreateUserAsync();
        var key = await StartAsync(user);
        _host.Clock.Advance(TwoFactorUserManager.AuthenticatorSetupLifetime + TimeSpan.FromSeconds(1));

        Assert.Equal(AuthenticatorConfirmResult.NoSetup, await ConfirmAsync(user, CodeNow(key)));
        Assert.False(await HasAppAsync(user));
    }

    [Fact]
    public async Task TheKeyIsAHundredAndSixtyRandomBitsInBase32WithAnOtpauthUri()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        await scope.Users.StartAuthenticatorSetupAsync(loaded);
        var setup = (await scope.Users.GetPendingAuthenticatorSetupAsync(loaded))!;

        Assert.Matches("^[A-Z2-7]{32}$", setup.Base32Key);
        Assert.Equal(20, Rfc6238.FromBase32(setup.GroupedKey).Length);
        Assert.StartsWith("otpauth://totp/IdentityTwoFactor:", setup.OtpAuth, StringComparison.Ordinal);
        Assert.Contains("secret=" + setup.Base32Key, setup.OtpAuth, StringComparison.Ordinal);
        Assert.Contains("issuer=IdentityTwoFactor", setup.OtpAuth, StringComparison.Ordinal);
        await scope.Users.StartAuthenticatorSetupAsync(loaded);
        Assert.NotEqual(setup.Base32Key, (await scope.Users.GetPendingAuthenticatorSetupAsync(loaded))!.Base32Key);
    }

    [Fact]
    public async Task TheKeyIsStoredOnlyProtectedAndADatabaseCopyAloneCannotOpenIt()
    {
        var user = await _host.CreateUserAsync();
        var key = await SetUpAsync(user);

        var row = await _host.WithDb(db => db.AuthenticatorKeys.AsNoTracking().SingleAsync(a => a.UserId == user.Id));
        var stored = row.ProtectedKey!;
        foreach (var form in new[] { Totp.ToBase32(key), Convert.ToBase64String(key), Convert.ToHexString(key), Encoding.Latin1.GetString(key) })
        {
            Assert.DoesNotContain(form, stored, StringComparison.OrdinalIgnoreCase);
        }
        Assert.DoesNotContain(Convert.ToHexString(key), Convert.ToHexString(Convert.FromBase64String(stored)), StringComparison.Ordinal);
        // Another key ring (what one holding only the rows has) cannot open it, under the very purpose the site uses.
        var stranger = new ServiceCollection().AddDataProtection().UseEphemeralDataProtectionProvider().Services.BuildServiceProvider()
            .GetRequiredService<IDataProtectionProvider>().CreateProtector("IdentityTwoFactor.AuthenticatorKey.v1", user.Id);
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => stranger.Unprotect(Convert.FromBase64String(stored)));
    }

    [Fact]
    public async Task AKeyRowCopiedOntoAnotherAccountDoesNotOpenThere()
    {
        var owner = await _host.CreateUserAsync();
        var key = await SetUpAsync(owner);
        var other = await _host.CreateUserAsync();
        await SetUpAsync(other);
        var stolen = await _host.WithDb(db => db.AuthenticatorKeys.AsNoTracking().Where(a => a.UserId == owner.Id).Select(a => a.ProtectedKey).SingleAsync());
        await _host.WithDb(db => db.AuthenticatorKeys.Where(a => a.UserId == other.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.ProtectedKey, stolen)));
        _host.Clock.Advance(Totp.Step);

        Assert.Equal(AuthenticatorCodeResult.Wrong, await UseAsync(other, CodeNow(key)));
        Assert.Equal(AuthenticatorCodeResult.Used, await UseAsync(owner, CodeNow(key)));
    }

    [Fact]
    public async Task ACodeIsRefusedWhenReplayedInItsOwnStepAndAnOlderStepAfterANewerOne()
    {
        var user = await _host.CreateUserAsync();
        var key = await SetUpAsync(user);
        _host.Clock.Advance(Totp.Step * 3);
        var now = _host.Clock.GetUtcNow();
        var current = Rfc6238.Code(key, now);

        Assert.Equal(AuthenticatorCodeResult.Used, await UseAsync(user, current));
        Assert.Equal(AuthenticatorCodeResult.Wrong, await UseAsync(user, current));

        // One step of skew either way: the next step's code is accepted now, and then the current step's is refused.
        Assert.Equal(AuthenticatorCodeResult.Used, await UseAsync(user, Rfc6238.Code(key, now + Totp.Step)));
        Assert.Equal(AuthenticatorCodeResult.Wrong, await UseAsync(user, Rfc6238.Code(key, now - Totp.Step)));
        // Two steps ahead is past the skew (and, as the third wrong code, it locks the account).
        Assert.Equal(AuthenticatorCodeResult.LockedNow, await UseAsync(user, Rfc6238.Code(key, now + Totp.Step * 2)));
        _host.Clock.Advance(Totp.Step * 2);
        Assert.Equal(AuthenticatorCodeResult.Used, await UseAsync(user, CodeNow(key)));
        Assert.Equal(3, (await EventsAsync(user)).Count(k => k == SecurityEventKinds.AuthenticatorCodeFailed));
    }

    [Fact]
    public async Task TwentyParallelSubmissionsOfOneCodeSucceedExactlyOnce()
    {
        await using var host = new IdentityHost(s => s["TwoFactor:MaxFailedAccessAttempts"] = "25", database: _host.Database);
        var user = await host.CreateUserAsync();
        var key = await SetUpAsync(user, host);
        host.Clock.Advance(Totp.Step);
        var code = Rfc6238.Code(key, host.Clock.GetUtcNow());

        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            await using var scope = host.NewScope();
            var loaded = await scope.LoadAsync(user);
            start.Wait();
            return await scope.Users.UseAuthenticatorCodeAsync(loaded, CodePurposes.SignIn, code);
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.Single(results, r => r == AuthenticatorCodeResult.Used);
        Assert.Equal(19, results.Count(r => r == AuthenticatorCodeResult.Wrong));
    }

    [Fact]
    public async Task WrongAndMalformedCodesCountTowardTheLockLikeWrongPasswords()
    {
        var user = await _host.CreateUserAsync();
        var key = await SetUpAsync(user);
        await using (var scope = _host.NewScope())
        {
            Assert.Equal(FailedAttemptOutcome.Counted, await scope.Users.RecordFailedPasswordAsync(await scope.LoadAsync(user)));
        }
        _host.Clock.Advance(Totp.Step);

        Assert.Equal(AuthenticatorCodeResult.Wrong, await UseAsync(user, WrongCodeNow(key)));
        Assert.Equal(AuthenticatorCodeResult.LockedNow, await UseAsync(user, "12 45x"));
        Assert.Equal(AuthenticatorCodeResult.Locked, await UseAsync(user, WrongCodeNow(key)));

        var reloaded = await _host.ReloadAsync(user);
        Assert.Equal(3, reloaded.AccessFailedCount);
        Assert.NotNull(reloaded.LockoutEnd);
        var kinds = await EventsAsync(user);
        Assert.Equal(3, kinds.Count(k => k == SecurityEventKinds.AuthenticatorCodeFailed));
        Assert.Single(kinds, k => k == SecurityEventKinds.Locked);
    }

    [Fact]
    public async Task ALockedAccountUnlocksWithTheAppAndAnOpenOneKeepsItsCode()
    {
        var user = await _host.CreateUserAsync();
        var key = await SetUpAsync(user);
        _host.Clock.Advance(Totp.Step);
        await using (var scope = _host.NewScope())
        {
            Assert.Equal(UnlockResult.NotLocked, await scope.Users.UnlockWithAuthenticatorAsync(await scope.LoadAsync(user), CodeNow(key)));
        }
        await LockAsync(user);

        await using (var scope = _host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            Assert.Equal(UnlockResult.Wrong, await scope.Users.UnlockWithAuthenticatorAsync(loaded, WrongCodeNow(key)));
            Assert.True(await scope.Users.IsLockedOutAsync(loaded));
            // The code was not spent on the open account above.
            Assert.Equal(UnlockResult.Unlocked, await scope.Users.UnlockWithAuthenticatorAsync(loaded, CodeNow(key)));
        }

        var reloaded = await _host.ReloadAsync(user);
        Assert.Null(reloaded.LockoutEnd);
        Assert.Equal(0, reloaded.AccessFailedCount);
        Assert.Single(await EventsAsync(user), k => k == SecurityEventKinds.UnlockedWithAuthenticator);
    }

    [Fact]
    public async Task ALockedAccountResetsItsPasswordWithTheAppAndAnUnknownEmailGetsTheSameAnswer()
    {
        var user = await _host.CreateUserAsync();
        var key = await SetUpAsync(user);
        _host.Clock.Advance(Totp.Step);
        await LockAsync(user);

        await using (var scope = _host.NewScope())
        {
            Assert.Equal(AuthenticatorCodeResult.Wrong, await scope.Users.ResetPasswordWithAuthenticatorAsync(null, CodeNow(key), "a brand new password"));
            Assert.Equal(AuthenticatorCodeResult.Locked, await scope.Users.ResetPasswordWithAuthenticatorAsync(await scope.LoadAsync(user), WrongCodeNow(key), "a brand new password"));
            Assert.Equal(AuthenticatorCodeResult.Used, await scope.Users.ResetPasswordWithAuthenticatorAsync(await scope.LoadAsync(user), CodeNow(key), "a brand new password"));
        }

        await using var check = _host.NewScope();
        var reloaded = await check.LoadAsync(user);
        Assert.Null(reloaded.LockoutEnd);
        Assert.True(await check.Users.CheckPasswordAsync(reloaded, "a brand new password"));
        Assert.Contains(SecurityEventKinds.PasswordResetWithAuthenticator, await EventsAsync(user));
    }

    [Fact]
    public async Task AnAppCodeServesOnlySignInUnlockAndResetAndATextedCodeIsNoAppCode()
    {
        var user = await _host.CreateUserAsync();
        var key = await SetUpAsync(user);
        _host.Clock.Advance(Totp.Step);
        var code = CodeNow(key);

        await using (var scope = _host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            foreach (var purpose in new[] { CodePurposes.ConfirmPhone, CodePurposes.ChangePhonePrefix + "+16505550000", CodePurposes.ApprovePhoneChangePrefix + "+16505550000", "Other" })
            {
                Assert.False(await scope.Users.VerifyUserTokenAsync(loaded, AuthenticatorCodeProvider.ProviderName, purpose, code));
            }
            // The refusals above spent nothing: the code still signs in once.
            Assert.True(await scope.Users.VerifyTwoFactorTokenAsync(loaded, AuthenticatorCodeProvider.ProviderName, code));
            Assert.False(await scope.Users.VerifyTwoFactorTokenAsync(loaded, AuthenticatorCodeProvider.ProviderName, code));

            var texted = await scope.Users.GenerateUserTokenAsync(loaded, SmsCodeTokenProvider.ProviderName, CodePurposes.SignIn);
            _host.Clock.Advance(Totp.Step);
            Assert.False(await scope.Users.VerifyTwoFactorTokenAsync(loaded, AuthenticatorCodeProvider.ProviderName, texted));
            Assert.False(await scope.Users.VerifyTwoFactorTokenAsync(loaded, SmsCodeTokenProvider.ProviderName, CodeNow(key)));
        }
    }

    [Fact]
    public async Task PastTheDaysBoundCodesAreNotComparedEvenForALockedAccount()
    {
        await using var host = new IdentityHost(s =>
        {
            s["TwoFactor:MaxWrongCodesPerDay"] = "3";
            s["TwoFactor:MaxFailedAccessAttempts"] = "1";
        }, database: _host.Database);
        var user = await host.CreateUserAsync();
        var key = await SetUpAsync(user, host);
        host.Clock.Advance(Totp.Step);
        await using (var scope = host.NewScope())
        {
            await scope.Users.RecordFailedPasswordAsync(await scope.LoadAsync(user));
        }

        for (var i = 0; i < 3; i++)
        {
            await using var scope = host.NewScope();
            Assert.Equal(UnlockResult.Wrong, await scope.Users.UnlockWithAuthenticatorAsync(await scope.LoadAsync(user), Rfc6238.Code(key, host.Clock.GetUtcNow()) == "000000" ? "111111" : "000000"));
        }
        await using (var scope = host.NewScope())
        {
            Assert.Equal(UnlockResult.TooManyTries, await scope.Users.UnlockWithAuthenticatorAsync(await scope.LoadAsync(user), Rfc6238.Code(key, host.Clock.GetUtcNow())));
        }
        host.Clock.Advance(TimeSpan.FromDays(1));
        await using (var scope = host.NewScope())
        {
            Assert.Equal(UnlockResult.Unlocked, await scope.Users.UnlockWithAuthenticatorAsync(await scope.LoadAsync(user), Rfc6238.Code(key, host.Clock.GetUtcNow())));
        }
    }

    [Fact]
    public async Task ANewAppReplacesTheOldOneOnlyOnceConfirmedAndRemovalStopsItsCodes()
    {
        var user = await _host.CreateUserAsync();
        var old = await SetUpAsync(user);
        var fresh = await StartAsync(user);
        _host.Clock.Advance(Totp.Step);

        Assert.Equal(AuthenticatorCodeResult.Used, await UseAsync(user, CodeNow(old)));
        Assert.Equal(AuthenticatorConfirmResult.Replaced, await ConfirmAsync(user, CodeNow(fresh)));
        _host.Clock.Advance(Totp.Step);
        Assert.Equal(AuthenticatorCodeResult.Wrong, await UseAsync(user, CodeNow(old)));
        Assert.Equal(AuthenticatorCodeResult.Used, await UseAsync(user, CodeNow(fresh)));

        await using (var scope = _host.NewScope())
        {
            Assert.True(await scope.Users.RemoveAuthenticatorAsync(await scope.LoadAsync(user)));
            Assert.False(await scope.Users.RemoveAuthenticatorAsync(await scope.LoadAsync(user)));
        }
        _host.Clock.Advance(Totp.Step);
        Assert.False(await HasAppAsync(user));
        Assert.Equal(AuthenticatorCodeResult.Wrong, await UseAsync(user, CodeNow(fresh)));
        var kinds = await EventsAsync(user);
        Assert.Single(kinds, k => k == SecurityEventKinds.AuthenticatorReplaced);
        Assert.Single(kinds, k => k == SecurityEventKinds.AuthenticatorRemoved);
    }

    private string CodeNow(byte[] key) => Rfc6238.Code(key, _host.Clock.GetUtcNow());

    /// <summary>A well-formed code that is none of the three the skew accepts now.</summary>
    private string WrongCodeNow(byte[] key)
    {
        var now = _host.Clock.GetUtcNow();
        var right = new[] { -1, 0, 1 }.Select(d => Rfc6238.Code(key, now + Totp.Step * d)).ToHashSet();
        return Enumerable.Range(0, 10).Select(i => new string((char)('0' + i), 6)).First(c => !right.Contains(c));
    }

    private Task<byte[]> StartAsync(TwoFactorUser user) => StartAsync(user, _host);

    private static async Task<byte[]> StartAsync(TwoFactorUser user, IdentityHost host)
    {
        await using var scope = host.NewScope();
        var loaded = await scope.LoadAsync(user);
        await scope.Users.StartAuthenticatorSetupAsync(loaded);
        return Rfc6238.FromBase32((await scope.Users.GetPendingAuthenticatorSetupAsync(loaded))!.GroupedKey);
    }

    private Task<byte[]> SetUpAsync(TwoFactorUser user) => SetUpAsync(user, _host);

    private static async Task<byte[]> SetUpAsync(TwoFactorUser user, IdentityHost host)
    {
        var key = await StartAsync(user, host);
        await using var scope = host.NewScope();
        Assert.Equal(AuthenticatorConfirmResult.Added, await scope.Users.ConfirmAuthenticatorAsync(await scope.LoadAsync(user), Rfc6238.Code(key, host.Clock.GetUtcNow())));
        return key;
    }

    private async Task<AuthenticatorConfirmResult> ConfirmAsync(TwoFactorUser user, string code)
    {
        await using var scope = _host.NewScope();
        return await scope.Users.ConfirmAuthenticatorAsync(await scope.LoadAsync(user), code);
    }

    private async Task<AuthenticatorCodeResult> UseAsync(TwoFactorUser user, string code)
    {
        await using var scope = _host.NewScope();
        return await scope.Users.UseAuthenticatorCodeAsync(await scope.LoadAsync(user), CodePurposes.SignIn, code);
    }

    private async Task<bool> HasAppAsync(TwoFactorUser user)
    {
        await using var scope = _host.NewScope();
        return await scope.Users.HasAuthenticatorAsync(await scope.LoadAsync(user));
    }

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

    private Task<List<string>> EventsAsync(TwoFactorUser user) =>
        _host.WithDb(db => db.SecurityEvents.Where(e => e.UserId == user.Id).Select(e => e.Kind).ToListAsync());

    public sealed class OnSqlite() : AuthenticatorTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : AuthenticatorTests(DatabaseKind.PostgreSql);
}

/// <summary>The site's RFC 6238 code and the tests' own against the RFC's published vectors (Appendix B, SHA-1).</summary>
public sealed class TotpTests
{
    private static readonly byte[] RfcKey = Encoding.ASCII.GetBytes("12345678901234567890");

    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void BothComputationsGiveTheRfcTestVectors(long unixSeconds, string eightDigits)
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);

        Assert.Equal(eightDigits, Rfc6238.Code(RfcKey, at, digits: 8));
        Assert.Equal(eightDigits[2..], Rfc6238.Code(RfcKey, at));
        Assert.Equal(eightDigits[2..], Totp.Code(RfcKey, Totp.StepAt(at)));
    }

    [Fact]
    public void Base32RoundTripsAndIsGroupedByFour()
    {
        var key = Enumerable.Range(0, 20).Select(i => (byte)(i * 13)).ToArray();
        var text = Totp.ToBase32(key);

        Assert.Equal("MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U", Totp.ToBase32(Encoding.ASCII.GetBytes("abcdefghijklmnopqrst")));
        Assert.Equal(key, Rfc6238.FromBase32(text));
        Assert.Equal(key, Rfc6238.FromBase32(Totp.Grouped(text).ToLowerInvariant()));
        Assert.Matches("^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$", Totp.Grouped(text));
    }

    [Fact]
    public void OnlySixAsciiDigitsMatch()
    {
        var step = 1000L;
        var code = Totp.Code(RfcKey, step);

        Assert.Equal(step, Totp.MatchStep(RfcKey, code, step - 1, step + 1));
        Assert.Null(Totp.MatchStep(RfcKey, code, step + 1, step + 2));
        Assert.Null(Totp.MatchStep(RfcKey, " " + code, step - 1, step + 1));
        Assert.Null(Totp.MatchStep(RfcKey, "٠١٢٣٤٥", step - 1, step + 1));
        Assert.Null(Totp.MatchStep(RfcKey, null, step - 1, step + 1));
    }
}
