using System.Net;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Pages;
using IdentityTwoFactor.Tests.Support;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The authenticator app through the real pages: set up with the password and one code, offered first at sign-in
/// (no text sent), each code used once, a locked account refused at sign-in but able to unlock and reset with it.</summary>
public sealed partial class AuthenticatorFlowTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string NewPassword = "a brand new password";
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync();

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [Fact]
    public async Task SetUpOnTheAccountPageThenSignInWithTheAppWithoutAText()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password, "(650) 253-0051");
        await client.LogInAsync(email, Password);
        var key = await SetUpAsync(client);
        Assert.Contains(SecurityEventKinds.AuthenticatorAdded, await EventsAsync(email));
        Assert.Contains("Authenticator app</dt>", await client.Http.GetStringAsync(new Uri("/account", UriKind.Relative)), StringComparison.Ordinal);

        using var next = _site.NewClient();
        var texts = _site.RingCentral.Messages.Count;
        var login = await next.LogInAsync(email, Password);
        Assert.Equal("/login/code?with=app", login.Headers.Location?.OriginalString);
        Assert.Equal(texts, _site.RingCentral.Messages.Count);
        _site.Clock.Advance(Totp.Step);
        var code = Rfc6238.Code(key, _site.Clock.GetUtcNow());

        var signedIn = await next.PostFormAsync("/login/code?with=app", [new("Input.Code", code)], "/login/code?handler=App&with=app");

        Assert.Equal("/", signedIn.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await next.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        Assert.Contains(SecurityEventKinds.SignedInWithAuthenticator, await EventsAsync(email));

        // The same code in the same step, from another browser: refused, and counted.
        using var replay = _site.NewClient();
        await replay.LogInAsync(email, Password);
        var again = await replay.PostFormAsync("/login/code?with=app", [new("Input.Code", code)], "/login/code?handler=App&with=app");
        Assert.Equal("/login/code?with=app", again.Headers.Location?.OriginalString);
        Assert.Contains("was already used", string.Join(" ", FormClient.Flashes(await replay.FollowAsync(again))), StringComparison.Ordinal);
        Assert.Equal(1, (await UserAsync(email)).AccessFailedCount);
    }

    [Fact]
    public async Task StartingNeedsThePasswordAndTheKeyShowsOnlyInTheBrowserThatEnteredIt()
    {
        using var owner = _site.NewClient();
        var email = NewEmail();
        await owner.SignUpAsync(email, Password, "(650) 253-0052");
        await owner.LogInAsync(email, Password);
        using var stolen = _site.NewClient();
        await stolen.LogInAsync(email, Password);

        var wrong = await owner.PostFormAsync("/account/authenticator", [new("Input.CurrentPassword", "not the password")], "/account/authenticator?handler=Start");
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("The current password is not right.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await _site.WithDbAsync(db => db.AuthenticatorKeys.CountAsync()));

        var started = await owner.PostFormAsync("/account/authenticator", [new("Input.CurrentPassword", Password)], "/account/authenticator?handler=Start");
        Assert.Equal("/account/authenticator", started.Headers.Location?.OriginalString);
        var page = await owner.FollowAsync(started);
        Assert.Contains("data:image/png;base64,", page, StringComparison.Ordinal);
        var key = Rfc6238.FromBase32(KeyIn(page));

        var elsewhere = await stolen.Http.GetStringAsync(new Uri("/account/authenticator", UriKind.Relative));
        Assert.DoesNotContain("authenticator-key", elsewhere, StringComparison.Ordinal);
        var confirmElsewhere = await stolen.PostFormAsync("/account/authenticator",
            [new("Input.Code", Rfc6238.Code(key, _site.Clock.GetUtcNow()))], "/account/authenticator?handler=Confirm");
        Assert.Contains("That setup has ended.", string.Join(" ", FormClient.Flashes(await stolen.FollowAsync(confirmElsewhere))), StringComparison.Ordinal);
        Assert.Null(await _site.WithDbAsync(db => db.AuthenticatorKeys.AsNoTracking().Select(a => a.ProtectedKey).SingleAsync()));
    }

    [Fact]
    public async Task RemovingNeedsThePasswordAndIsRecorded()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password, "(650) 253-0053");
        await client.LogInAsync(email, Password);
        await SetUpAsync(client);

        var wrong = await client.PostFormAsync("/account/authenticator", [new("Input.CurrentPassword", "not the password")], "/account/authenticator?handler=Remove");
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        // Said once, above both password forms (not beside the new-app form's field).
        Assert.Single(Regex.Matches(await wrong.Content.ReadAsStringAsync(), "The current password is not right."));
        Assert.Equal(1, await _site.WithDbAsync(db => db.AuthenticatorKeys.CountAsync(a => a.ProtectedKey != null)));

        var removed = await client.PostFormAsync("/account/authenticator", [new("Input.CurrentPassword", Password)], "/account/authenticator?handler=Remove");

        Assert.Equal("/account", removed.Headers.Location?.OriginalString);
        Assert.Equal(0, await _site.WithDbAsync(db => db.AuthenticatorKeys.CountAsync()));
        Assert.Contains(SecurityEventKinds.AuthenticatorRemoved, await EventsAsync(email));
    }

    [Fact]
    public async Task ALockedAccountCannotSignInWithTheAppButUnlocksAndResetsWithIt()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password, "(650) 253-0054");
        await client.LogInAsync(email, Password);
        var key = await SetUpAsync(client);
        using var other = _site.NewClient();
        await other.LogInAsync(email, Password);
        for (var i = 0; i < 3; i++)
        {
            await client.LogInAsync(email, "wrong password");
        }
        Assert.NotNull((await UserAsync(email)).LockoutEnd);
        _site.Clock.Advance(Totp.Step);

        // Signing in: refused before the code is tried (so it is not spent).
        var refused = await other.PostFormAsync("/login/code?with=app", [new("Input.Code", Rfc6238.Code(key, _site.Clock.GetUtcNow()))], "/login/code?handler=App&with=app");
        Assert.NotEqual("/", refused.Headers.Location?.OriginalString);

        var unlocked = await client.PostFormAsync("/unlock?with=app",
            [new("Input.Email", email), new("Input.Code", Rfc6238.Code(key, _site.Clock.GetUtcNow()))], "/unlock?handler=App&with=app");
        Assert.Equal("/login", unlocked.Headers.Location?.OriginalString);
        Assert.Null((await UserAsync(email)).LockoutEnd);

        for (var i = 0; i < 3; i++)
        {
            await client.LogInAsync(email, "wrong password");
        }
        _site.Clock.Advance(Totp.Step);
        var reset = await client.PostFormAsync("/reset-password?step=app",
            [new("step", "app"), new("Input.Email", email), new("Input.Code", Rfc6238.Code(key, _site.Clock.GetUtcNow())),
             new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)], "/reset-password?handler=App");

        Assert.Equal("/login", reset.Headers.Location?.OriginalString);
        Assert.Null((await UserAsync(email)).LockoutEnd);
        Assert.Equal("/login/code?with=app", (await client.LogInAsync(email, NewPassword)).Headers.Location?.OriginalString);
        var kinds = await EventsAsync(email);
        Assert.Contains(SecurityEventKinds.UnlockedWithAuthenticator, kinds);
        Assert.Contains(SecurityEventKinds.PasswordResetWithAuthenticator, kinds);
    }

    [Fact]
    public async Task TheAnonymousFormsAnswerAnUnknownEmailAndAnAccountWithoutAnAppAlike()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password, "(650) 253-0055");

        string Answer(string html) => string.Join(" ", FormClient.Flashes(html));
        var forOwner = await client.PostFormAsync("/reset-password?step=app",
            [new("step", "app"), new("Input.Email", email), new("Input.Code", "123456"),
             new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)], "/reset-password?handler=App");
        // Each answer is read before the next post: the flash lives in one TempData cookie, read once.
        var ownerAnswer = Answer(await client.FollowAsync(forOwner));
        var forNobody = await client.PostFormAsync("/reset-password?step=app",
            [new("step", "app"), new("Input.Email", NewEmail()), new("Input.Code", "123456"),
             new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)], "/reset-password?handler=App");

        Assert.Equal(forOwner.Headers.Location, forNobody.Headers.Location);
        Assert.Equal(SmsMessages.WrongAppCode, ownerAnswer);
        Assert.Equal(ownerAnswer, Answer(await client.FollowAsync(forNobody)));
        Assert.True(await client.PostFormAsync("/reset-password?step=app",
            [new("step", "app"), new("Input.Email", email), new("Input.Code", "12345x"),
             new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)], "/reset-password?handler=App") is { StatusCode: HttpStatusCode.OK });
        Assert.Equal(1, (await UserAsync(email)).AccessFailedCount);
    }

    /// <summary>Starts and confirms a setup as a person would: reads the key from the page, computes the code.</summary>
    private async Task<byte[]> SetUpAsync(FormClient client)
    {
        var started = await client.PostFormAsync("/account/authenticator", [new("Input.CurrentPassword", Password)], "/account/authenticator?handler=Start");
        var key = Rfc6238.FromBase32(KeyIn(await client.FollowAsync(started)));
        var confirmed = await client.PostFormAsync("/account/authenticator",
            [new("Input.Code", Rfc6238.Code(key, _site.Clock.GetUtcNow()))], "/account/authenticator?handler=Confirm");
        Assert.Equal("/account", confirmed.Headers.Location?.OriginalString);
        return key;
    }

    private static string KeyIn(string html) => KeyPattern().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("No key on the page.");

    [GeneratedRegex("""id="authenticator-key">([A-Z2-7 ]+)<""")]
    private static partial Regex KeyPattern();

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    private Task<TwoFactorUser> UserAsync(string email) => _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));

    private Task<List<string>> EventsAsync(string email) =>
        _site.WithDbAsync(db => db.SecurityEvents.Where(e => db.Users.Any(u => u.Id == e.UserId && u.Email == email)).Select(e => e.Kind).ToListAsync());
}
