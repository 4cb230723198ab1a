using System.Net;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The ways in with a recovery code through the real pages: reset the password, sign in instead of the texted
/// code. Each uses the code once, records it, and counts wrong ones toward the lock like wrong passwords.</summary>
public sealed class RecoveryCodeFlowTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string NewPassword = "a brand new password";
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync();

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [Fact]
    public async Task AResetWithARecoveryCodeSetsThePasswordLiftsTheLockAndEndsOtherSessions()
    {
        using var owner = _site.NewClient();
        var email = NewEmail();
        await owner.SignUpAsync(email, Password);
        var codes = owner.RecoveryCodes;
        using var elsewhere = _site.NewClient();
        Assert.Equal("/", (await elsewhere.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        for (var i = 0; i < 3; i++)
        {
            await owner.LogInAsync(email, "wrong password");
        }

        var reset = await owner.PostFormAsync("/reset-password?step=recovery-code",
            [new("step", "recovery-code"), new("Input.Email", email), new("Input.RecoveryCode", codes[5].ToLowerInvariant()),
             new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)], "/reset-password?handler=Recovery");

        Assert.Equal("/login", reset.Headers.Location?.OriginalString);
        Assert.Contains("That recovery code is now used up.", string.Join(" ", FormClient.Flashes(await owner.FollowAsync(reset))), StringComparison.Ordinal);
        Assert.Equal("/", (await owner.LogInAsync(email, NewPassword)).Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await elsewhere.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        Assert.Equal(9, await CountAsync(email));
        Assert.Contains(SecurityEventKinds.PasswordResetWithRecoveryCode, await EventsAsync(email));
    }

    [Fact]
    public async Task WrongRecoveryCodesOnTheResetFormLockAndTheLockingOneTextsTheUnlockCode()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password);
        var texts = _site.RingCentral.Messages.Count;

        for (var i = 0; i < 3; i++)
        {
            var wrong = await client.PostFormAsync("/reset-password?step=recovery-code", EnumerationTests.RecoveryResetFields(email)
                .Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)), "/reset-password?handler=Recovery");
            Assert.Equal("/reset-password?step=recovery-code", wrong.Headers.Location?.OriginalString);
        }

        var user = await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));
        Assert.Equal(3, user.AccessFailedCount);
        Assert.NotNull(user.LockoutEnd);
        Assert.Equal(texts + 1, _site.RingCentral.Messages.Count);
        Assert.Contains("to unlock your account", _site.RingCentral.Messages[^1].Text, StringComparison.Ordinal);
        Assert.Equal(10, await CountAsync(email));
        Assert.Equal(3, (await EventsAsync(email)).Count(k => k == SecurityEventKinds.RecoveryCodeFailed));
    }

    [Fact]
    public async Task ARecoveryCodeStandsInForTheTextedSignInCodeOnce()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password);
        var codes = client.RecoveryCodes;
        await TurnOnSignInCodeAsync(email);

        Assert.Equal("/login/code", (await client.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        var signedIn = await client.PostFormAsync("/login/code?with=recovery-code", [new("Input.RecoveryCode", codes[0])], "/login/code?handler=Recovery&with=recovery-code");

        Assert.Equal("/", signedIn.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        Assert.Contains(SecurityEventKinds.SignedInWithRecoveryCode, await EventsAsync(email));

        // Used up: the next sign-in cannot use it again.
        using var next = _site.NewClient();
        await next.LogInAsync(email, Password);
        var again = await next.PostFormAsync("/login/code?with=recovery-code", [new("Input.RecoveryCode", codes[0])], "/login/code?handler=Recovery&with=recovery-code");
        Assert.Equal("/login/code?with=recovery-code", again.Headers.Location?.OriginalString);
        Assert.Equal(9, await CountAsync(email));
    }

    [Fact]
    public async Task WrongRecoveryCodesAtSignInCountTowardTheLockLikeWrongPasswords()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password);
        var codes = client.RecoveryCodes;
        await TurnOnSignInCodeAsync(email);
        await client.LogInAsync(email, "wrong password");

        await client.LogInAsync(email, Password);
        var wrong = await client.PostFormAsync("/login/code?with=recovery-code", [new("Input.RecoveryCode", "ABCDE-23456")], "/login/code?handler=Recovery&with=recovery-code");
        Assert.Equal("/login/code?with=recovery-code", wrong.Headers.Location?.OriginalString);
        var locking = await client.PostFormAsync("/login/code?with=recovery-code", [new("Input.RecoveryCode", "ABCDE-23457")], "/login/code?handler=Recovery&with=recovery-code");

        Assert.Equal("/unlock", locking.Headers.Location?.OriginalString);
        Assert.NotNull((await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email))).LockoutEnd);
        // Locked: a right code is not spent on signing in (it can still unlock).
        await client.LogInAsync(email, Password);
        Assert.Equal(10, await CountAsync(email));
        Assert.Equal(codes.Count, await CountAsync(email));
    }

    [Fact]
    public async Task ARecoveryCodeApprovesAPhoneChangeWhenTheCurrentPhoneIsGone()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password, "(650) 253-0041");
        var codes = client.RecoveryCodes;
        await client.LogInAsync(email, Password);
        var textsToOld = _site.RingCentral.Messages.Count(m => m.To == "+16502530041");

        var started = await client.PostFormAsync("/account/phone",
            ("Input.Phone", "(650) 253-0042"), ("Input.CurrentPassword", Password), ("Input.LostCurrentPhone", "true"));
        Assert.Equal("/account/phone", started.Headers.Location?.OriginalString);
        var form = await client.FollowAsync(started);
        Assert.Contains("Enter it and one of your recovery codes", form, StringComparison.Ordinal);
        Assert.Contains("Input_RecoveryCode", form, StringComparison.Ordinal);
        Assert.DoesNotContain("Input_CurrentPhoneCode", form, StringComparison.Ordinal);
        Assert.Equal(textsToOld, _site.RingCentral.Messages.Count(m => m.To == "+16502530041")); // nothing to the lost phone

        var changed = await client.PostFormAsync("/account/phone",
            [new("Input.Code", _site.RingCentral.LastCodeSentTo("+16502530042")!), new("Input.RecoveryCode", codes[9])], "/account/phone?handler=Confirm");

        Assert.Equal("/account", changed.Headers.Location?.OriginalString);
        Assert.Equal("+16502530042", (await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email))).PhoneNumber);
        Assert.Equal(9, await CountAsync(email));
        var events = await EventsAsync(email);
        Assert.Contains(SecurityEventKinds.PhoneChangedWithRecoveryCode, events);
        Assert.DoesNotContain(SecurityEventKinds.PhoneChanged, events);
    }

    [Fact]
    public async Task AWrongRecoveryCodeChangesNoPhoneAndCountsTowardTheLock()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password, "(650) 253-0043");
        await client.LogInAsync(email, Password);
        await client.PostFormAsync("/account/phone",
            ("Input.Phone", "(650) 253-0044"), ("Input.CurrentPassword", Password), ("Input.LostCurrentPhone", "true"));

        var wrong = await client.PostFormAsync("/account/phone",
            [new("Input.Code", _site.RingCentral.LastCodeSentTo("+16502530044")!), new("Input.RecoveryCode", "ABCDE-23456")], "/account/phone?handler=Confirm");

        Assert.Equal("/account/phone", wrong.Headers.Location?.OriginalString);
        var user = await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));
        Assert.Equal("+16502530043", user.PhoneNumber);
        Assert.Equal(1, user.AccessFailedCount);
        Assert.Equal(10, await CountAsync(email));
    }

    private async Task TurnOnSignInCodeAsync(string email)
    {
        await using var scope = _site.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<TwoFactorUserManager>();
        Assert.True((await users.SetTwoFactorEnabledAsync((await users.FindByEmailAsync(email))!, true)).Succeeded);
    }

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    private Task<int> CountAsync(string email) =>
        _site.WithDbAsync(db => db.RecoveryCodes.CountAsync(c => db.Users.Any(u => u.Id == c.UserId && u.Email == email)));

    private Task<List<string>> EventsAsync(string email) =>
        _site.WithDbAsync(db => db.SecurityEvents.Where(e => db.Users.Any(u => u.Id == e.UserId && u.Email == email)).Select(e => e.Kind).ToListAsync());
}
