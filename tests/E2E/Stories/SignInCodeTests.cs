using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Stories 13 to 15: the texted code at every sign-in (opt-in), remembered browsers, and wrong codes locking.</summary>
public sealed class SignInCodeTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task TurningTheSignInCodeOnAsksForATextedCodeAtTheNextSignIn() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();

        // The current password is required to turn it on.
        await stories.AccountTwoFactor.GotoAsync();
        await Expect(stories.AccountTwoFactor.Heading).ToHaveTextAsync("Texted code at every sign-in");
        await Expect(stories.AccountTwoFactor.TurnOffButton).ToHaveCountAsync(0);
        await stories.AccountTwoFactor.TurnOnAsync(UserStories.WrongPassword);
        await stories.AccountTwoFactor.ExpectPathAsync(AccountTwoFactorPage.Path);
        await Expect(stories.AccountTwoFactor.ErrorFor("CurrentPassword")).ToHaveTextAsync(AccountTwoFactorPage.WrongCurrentPassword);
        await stories.Account.GotoAsync();
        await Expect(stories.Account.SignInCode).ToHaveTextAsync("Off");

        await stories.TurnOnSignInCodeAsync(user);

        // Signing out and in again: the password alone is not enough any more.
        await stories.SignOutAsync();
        var code = await stories.LogInUpToCodeAsync(user);
        await Expect(stories.LoginCode.Heading).ToHaveTextAsync("Enter your sign-in code");
        await Expect(stories.LoginCode.RememberBrowser).Not.ToBeCheckedAsync();
        // Not signed in yet: the account page is out of reach.
        await Expect(stories.LoginCode.NavLink("Account")).ToHaveCountAsync(0);

        // "Resend code" texts a new one, which replaces the first.
        await stories.LoginCode.ResendButton.ClickAsync();
        await stories.LoginCode.ExpectPathAsync(LoginCodePage.Path);
        await Expect(stories.LoginCode.FlashInfo).ToHaveTextAsync(LoginCodePage.Resent(user.MaskedPhone));
        Assert.Equal(3, Site.MessagesTo(user.E164).Count); // the phone confirmation, the first sign-in code, this one
        Assert.Contains(" is your verification code to sign in.", Site.MessagesTo(user.E164)[^1].Text, StringComparison.Ordinal);
        code = stories.CodeSentTo(user);

        await stories.EnterSignInCodeAsync(user, code);
        await Expect(stories.Home.NavLink("Account")).ToBeVisibleAsync();
        await stories.Account.GotoAsync();
        await Expect(stories.Account.SignInCode).ToHaveTextAsync("On");
    });

    [Fact]
    public Task RememberedBrowserSkipsTheCodeButANewBrowserIsAsked() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();
        await stories.TurnOnSignInCodeAsync(user);
        await stories.SignOutAsync();

        var code = await stories.LogInUpToCodeAsync(user);
        await stories.EnterSignInCodeAsync(user, code, rememberBrowser: true);
        await stories.SignOutAsync();

        // The same browser, signed out and back in: straight to the welcome page, no text.
        var texts = Site.MessagesTo(user.E164).Count;
        await stories.LogInAsync(user);
        Assert.Equal(texts, Site.MessagesTo(user.E164).Count);

        // Another browser (its own cookies) is asked for a code.
        await using var other = await NewContextAsync();
        var otherStories = new UserStories(await other.NewPageAsync(), Site);
        var otherCode = await otherStories.LogInUpToCodeAsync(user);
        Assert.Equal(texts + 1, Site.MessagesTo(user.E164).Count);
        await otherStories.EnterSignInCodeAsync(user, otherCode);
    });

    [Fact]
    public Task ThirdWrongSignInCodeLocksAndTextsOneUnlockCode() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();
        await stories.TurnOnSignInCodeAsync(user);
        await stories.SignOutAsync();

        var code = await stories.LogInUpToCodeAsync(user);
        var texts = Site.MessagesTo(user.E164).Count;
        var wrong = UserStories.WrongCode(code);

        // The first two wrong codes are only invalid (the first one also burnt the texted code); nothing is texted.
        await stories.EnterWrongSignInCodeAsync(wrong);
        Assert.Equal(texts, Site.MessagesTo(user.E164).Count);
        await stories.EnterWrongSignInCodeAsync(code);
        Assert.Equal(texts, Site.MessagesTo(user.E164).Count);

        // The third locks the account: the lock notice on /unlock, and exactly one unlock code texted.
        await stories.LoginCode.SubmitCodeAsync(wrong);
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(stories.Unlock.FlashInfo).ToHaveTextAsync(UnlockPage.Locked(user.MaskedPhone));
        await Expect(stories.Unlock.FlashError).ToHaveCountAsync(0);
        await Expect(stories.Unlock.Email).ToHaveValueAsync(user.Email);
        var afterLock = Site.MessagesTo(user.E164);
        Assert.Equal(texts + 1, afterLock.Count);
        Assert.Contains(" is your verification code to unlock your account.", afterLock[^1].Text, StringComparison.Ordinal);
        var unlockCode = stories.CodeSentTo(user);

        // Locked: the right password leads to /unlock, not to a new sign-in code.
        await stories.Login.GotoAsync();
        await stories.Login.LogInAsync(user.Email, user.Password);
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(stories.Unlock.FlashInfo).ToHaveTextAsync(UnlockPage.StillLocked(user.MaskedPhone));
        Assert.Equal(texts + 1, Site.MessagesTo(user.E164).Count);

        // The unlock code opens it; signing in still asks for a texted code.
        await stories.UnlockAsync(user, unlockCode);
        var signInCode = await stories.LogInUpToCodeAsync(user);
        await stories.EnterSignInCodeAsync(user, signInCode);
    });
}
