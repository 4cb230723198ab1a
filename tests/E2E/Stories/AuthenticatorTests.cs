using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Issue 17, part 2: the authenticator app, with JavaScript off. The test reads the key from the page and computes
/// the codes an app would show (RFC 6238, <see cref="IdentityTwoFactor.Tests.Support.Rfc6238"/>) on the site's clock.</summary>
public sealed class AuthenticatorTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task CanSetUpTheAppAndSignInWithItWithoutAText() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();
        var key = await stories.SetUpAuthenticatorAsync(user);
        await Expect(stories.Account.ActivityWhat.Nth(1)).ToHaveTextAsync(AccountPage.Events.AuthenticatorAdded);
        await stories.SignOutAsync();

        await stories.LogInUpToAppCodeAsync(user);
        // The code that confirmed the app was used up; the app's next code signs in.
        Site.Clock.Advance(TimeSpan.FromSeconds(30));
        var code = stories.AppCode(key);
        await stories.LoginCode.SubmitAppCodeAsync(code);

        await stories.Home.ExpectPathAsync(HomePage.Path);
        await Expect(stories.Home.Heading).ToHaveTextAsync($"Welcome back, {user.FirstName}.");
        await stories.Account.GotoAsync();
        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.SignedInWithAuthenticator);

        // The same code again, in its own 30 seconds: refused.
        await stories.SignOutAsync();
        await stories.LogInUpToAppCodeAsync(user);
        await stories.LoginCode.SubmitAppCodeAsync(code);
        await stories.LoginCode.ExpectPathAsync(LoginCodePage.AppPath);
        await Expect(stories.LoginCode.FlashError).ToHaveTextAsync(LoginCodePage.WrongAppCode);

        // The texted code is still there on request.
        await stories.LoginCode.TextMeACodeButton.ClickAsync();
        await stories.LoginCode.ExpectPathAsync(LoginCodePage.Path);
        await Expect(stories.LoginCode.FlashInfo).ToHaveTextAsync(LoginCodePage.Resent(user.MaskedPhone));
        await Expect(stories.LoginCode.UseAppLink).ToBeVisibleAsync();
        await stories.EnterSignInCodeAsync(user, stories.CodeSentTo(user));
    });

    [Fact]
    public Task CanUnlockAndResetThePasswordWithTheApp() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();
        var key = await stories.SetUpAuthenticatorAsync(user);
        await stories.SignOutAsync();

        // Locked, and the unlock text never arrives: the app unlocks.
        await stories.LockAsync(user);
        await stories.Unlock.UseAppLink.ClickAsync();
        await stories.Unlock.ExpectPathAsync(UnlockPage.WithAppPath);
        await Expect(stories.Unlock.Email).ToHaveValueAsync(user.Email);
        Site.Clock.Advance(TimeSpan.FromSeconds(30));
        await stories.Unlock.SubmitAppCodeAsync(stories.AppCode(key));
        await stories.Login.ExpectPathAsync(LoginPage.Path);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(UnlockPage.UnlockedWithApp);

        // Forgot the password: the app resets it without a text.
        const string NewPassword = "a new horse battery staple";
        var texts = Site.MessagesTo(user.E164).Count;
        await stories.Reset.GotoAsync();
        await stories.Reset.UseAppLink.ClickAsync();
        await stories.Reset.ExpectPathAsync(ResetPasswordPage.AppStepPath);
        Site.Clock.Advance(TimeSpan.FromSeconds(30));
        await stories.Reset.ChangePasswordWithAppAsync(user.Email, NewPassword, () => stories.AppCode(key));
        await stories.Login.ExpectPathAsync(LoginPage.Path);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(ResetPasswordPage.ChangedWithApp);
        Assert.Equal(texts, Site.MessagesTo(user.E164).Count);

        await stories.LogInUpToAppCodeAsync(user, NewPassword);
        Site.Clock.Advance(TimeSpan.FromSeconds(30));
        await stories.LoginCode.SubmitAppCodeAsync(stories.AppCode(key));
        await stories.Home.ExpectPathAsync(HomePage.Path);
        await stories.Account.GotoAsync();
        await Expect(stories.Account.ActivityWhat.Nth(1)).ToHaveTextAsync(AccountPage.Events.PasswordResetWithAuthenticator);
        await Expect(stories.Account.ActivityWhat.Nth(2)).ToHaveTextAsync(AccountPage.Events.UnlockedWithAuthenticator);
    });

    [Fact]
    public Task CanRemoveTheAppWithThePassword() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();
        await stories.SetUpAuthenticatorAsync(user);

        await stories.AccountAuthenticator.GotoAsync();
        await stories.AccountAuthenticator.RemoveAsync(user.Password);

        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountAuthenticatorPage.Removed);
        await Expect(stories.Account.AuthenticatorApp).ToHaveTextAsync("Not set up");
        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.AuthenticatorRemoved);
        // Back to the texted code at sign-in.
        await stories.SignOutAsync();
        await stories.LogInUpToCodeAsync(user);
    });
}
