using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>
/// Walks every page and state once, writing TestResults/screenshots/*.{desktop,phone}.png, and the README pictures
/// docs/screenshots/{signup,locked,unlocked,reset,account-sessions,account-phone}.png and the recovery-code and
/// authenticator-app pages at 1280 and 360 px (docs/screenshots/*.1280.png, *.360.png) when missing or when
/// UPDATE_SCREENSHOTS=1.
/// </summary>
/// <remarks>Its class has a site of its own, so the README pictures can show a stable person (ada@example.com)
/// instead of a Guid-based email: the committed pictures do not change from run to run.</remarks>
public sealed class ScreenshotTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task ScreenshotsOfEveryPage() => RunAsync(async page =>
    {
        var ada = new TestUser("ada@example.com", "correct horse battery staple", "(650) 253-0000", "+16502530000", "Ada", "Lovelace");
        var stories = new UserStories(page, Site);

        await stories.Home.GotoAsync();
        await Screenshots.CaptureAsync(page, "01-home");
        await stories.About.GotoAsync();
        await Screenshots.CaptureAsync(page, "02-about");

        await stories.Signup.GotoAsync();
        await Screenshots.CaptureAsync(page, "03-signup");
        await stories.Signup.SubmitAsync(ada with { Email = "ada.example.com", Phone = "12345" }, confirmPassword: "something else");
        await Expect(stories.Signup.ErrorFor("Email")).ToBeVisibleAsync();
        await Screenshots.CaptureAsync(page, "04-signup-errors");
        await stories.Signup.GotoAsync();
        await stories.Signup.FillAsync(ada);
        await Screenshots.CaptureForDocsAsync(page, "signup");
        await stories.Signup.SignUpButton.ClickAsync();
        await stories.ConfirmPhone.ExpectPathAsync(ConfirmPhonePage.Path);
        await Screenshots.CaptureAsync(page, "05-confirm-phone");
        await stories.ConfirmPhone.SubmitCodeAsync(Site.LastCodeSentTo(ada.E164)!);
        await stories.RecoveryCodes.ExpectPathAsync(RecoveryCodesPage.Path);
        await Expect(stories.RecoveryCodes.CodeList.Locator("li")).ToHaveCountAsync(10);
        await Screenshots.CaptureAsync(page, "05-recovery-codes");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "recovery-codes");
        await stories.RecoveryCodes.SavedLink.ClickAsync();
        await stories.Login.ExpectPathAsync(LoginPage.Path);
        await Screenshots.CaptureAsync(page, "05-login-confirmed");

        await stories.LogInAsync(ada);
        await Screenshots.CaptureAsync(page, "06-home-signed-in");
        // Signed out properly: a session only forgotten by the browser would stay in the account page's list.
        await stories.SignOutAsync();

        await stories.FailLogInAsync(ada);
        await Screenshots.CaptureAsync(page, "07-login-wrong-password");
        var code = await stories.LockAsync(ada, failedSoFar: 1);
        await Screenshots.CaptureAsync(page, "08-unlock-locked");
        await Screenshots.CaptureForDocsAsync(page, "locked");
        await stories.Unlock.UseRecoveryCodeLink.ClickAsync();
        await stories.Unlock.ExpectPathAsync(UnlockPage.WithRecoveryCodePath);
        await Screenshots.CaptureAsync(page, "08-unlock-recovery-code");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "unlock-recovery-code");
        await stories.Unlock.UseTextedCodeLink.ClickAsync();
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);

        await stories.Unlock.SubmitCodeAsync("000000" == code ? "111111" : "000000");
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(UnlockPage.InvalidCode);
        await Screenshots.CaptureAsync(page, "09-unlock-invalid-code");
        code = await stories.ResendUnlockCodeAsync(ada);
        await Screenshots.CaptureAsync(page, "10-unlock-resent");
        await stories.UnlockAsync(ada, code);
        await Screenshots.CaptureAsync(page, "11-login-unlocked");
        await Screenshots.CaptureForDocsAsync(page, "unlocked");

        await stories.Reset.GotoAsync();
        await Screenshots.CaptureAsync(page, "12-reset-step1");
        await stories.RequestResetCodeAsync(ada);
        await Screenshots.CaptureAsync(page, "13-reset-step2");
        await Screenshots.CaptureForDocsAsync(page, "reset");
        await page.GotoAsync("/reset-password?step=recovery-code");
        await Screenshots.CaptureAsync(page, "13-reset-recovery-code");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "reset-recovery-code");

        await page.GotoAsync("/no-such-page");
        await Screenshots.CaptureAsync(page, "14-not-found");

        // The account pages: Ada signed in here and in Firefox on her phone. An hour later, so the texts above do not
        // count toward the hourly limit that the two codes of the phone change would pass.
        Site.Clock.Advance(TimeSpan.FromHours(1));
        await stories.LogInAsync(ada);
        await using var phone = await NewContextAsync(UserAgents.FirefoxOnAndroid);
        await new UserStories(await phone.NewPageAsync(), Site).LogInAsync(ada);
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Sessions).ToHaveCountAsync(2);
        await Expect(stories.Account.CurrentSession).ToContainTextAsync(UserAgents.ChromiumName);
        await Screenshots.CaptureAsync(page, "15-account");
        await Screenshots.CaptureForDocsAsync(page, "account-sessions");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "account-recovery-codes-left");
        await stories.AccountRecoveryCodes.GotoAsync();
        await Screenshots.CaptureAsync(page, "15-account-recovery-codes");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "account-new-recovery-codes");
        await stories.AccountPassword.GotoAsync();
        await Screenshots.CaptureAsync(page, "16-account-password");
        await stories.AccountTwoFactor.GotoAsync();
        await Screenshots.CaptureAsync(page, "17-account-two-factor");
        await stories.AccountPhone.GotoAsync();
        await Screenshots.CaptureAsync(page, "18-account-phone");
        await stories.StartPhoneChangeAsync(ada, ada with { Phone = "(650) 253-0001", E164 = "+16502530001" });
        await Screenshots.CaptureAsync(page, "19-account-phone-codes");
        await Screenshots.CaptureForDocsAsync(page, "account-phone");
        await stories.AccountPhone.GotoAsync();
        await stories.AccountPhone.NewPhone.FillAsync("(650) 253-0002");
        await stories.AccountPhone.CurrentPassword.FillAsync(ada.Password);
        await stories.AccountPhone.LostCurrentPhone.CheckAsync();
        await stories.AccountPhone.SendCodesButton.ClickAsync();
        await Expect(stories.AccountPhone.RecoveryCode).ToBeVisibleAsync();
        await Screenshots.CaptureAsync(page, "19-account-phone-recovery");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "account-phone-recovery");

        // The authenticator app: the setup with its QR code and key, then signing in, unlocking and resetting with it.
        await stories.AccountAuthenticator.GotoAsync();
        await Screenshots.CaptureAsync(page, "20-account-authenticator");
        await stories.AccountAuthenticator.StartAsync(ada.Password);
        await Expect(stories.AccountAuthenticator.QrCode).ToBeVisibleAsync();
        await Screenshots.CaptureAsync(page, "21-account-authenticator-scan");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "account-authenticator");
        var key = IdentityTwoFactor.Tests.Support.Rfc6238.FromBase32(await stories.AccountAuthenticator.Key.InnerTextAsync());
        await stories.AccountAuthenticator.ConfirmAsync(stories.AppCode(key));
        await stories.AccountAuthenticator.GotoAsync();
        await Screenshots.CaptureAsync(page, "22-account-authenticator-set-up");
        await stories.SignOutAsync();
        await stories.LogInUpToAppCodeAsync(ada);
        await Screenshots.CaptureAsync(page, "23-login-code-app");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "login-code-app");
        await stories.LoginCode.UseRecoveryCodeLink.ClickAsync();
        await Expect(stories.LoginCode.RecoveryCode).ToBeVisibleAsync();
        await Screenshots.CaptureAsync(page, "24-login-code-recovery");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "login-code-recovery");
        await page.GotoAsync(UnlockPage.WithAppPath);
        await Screenshots.CaptureAsync(page, "25-unlock-app");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "unlock-app");
        await page.GotoAsync(ResetPasswordPage.AppStepPath);
        await Screenshots.CaptureAsync(page, "26-reset-app");
        await Screenshots.CaptureForDocsAtBothWidthsAsync(page, "reset-app");
    });
}
