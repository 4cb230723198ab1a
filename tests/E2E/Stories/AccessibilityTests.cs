using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>
/// Issue 18: every page, in each state a story reaches (empty, validation errors shown, each flash), passes axe-core's
/// WCAG 2 A/AA rules with no serious or critical violation at 1280 and 360 px, and holds no script. The states are listed
/// in <see cref="AuditCatalog"/>, one line each; each test here walks one story with JavaScript off and audits its states.
/// </summary>
public sealed class AccessibilityTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    /// <summary>Well formed (the recovery-code alphabet) but never issued: the alphabet has no 1, so no real code is all Z.</summary>
    private const string WrongRecoveryCode = "ZZZZZ-ZZZZZ";

    private const string NewPassword = "a brand new passphrase";

    [Fact]
    public void EveryPageOfTheSiteHasAnAuditEntry()
    {
        var pages = Site.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => e.Metadata.GetMetadata<PageActionDescriptor>())
            .OfType<PageActionDescriptor>()
            .Select(p => p.ViewEnginePath)
            .ToHashSet(StringComparer.Ordinal);
        // The enumeration itself works: it finds pages of each kind.
        Assert.Contains("/Index", pages);
        Assert.Contains("/Account/Phone", pages);
        Assert.Contains("/Dev/Outbox", pages);

        var audited = AuditCatalog.All.Select(s => s.Page).Concat(AuditCatalog.PagesThatRenderNothing.Keys).ToHashSet(StringComparer.Ordinal);
        var missing = pages.Where(p => !audited.Contains(p)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "Pages with no line in AuditCatalog (add one per state, see its remarks): " + string.Join(", ", missing));

        var stale = audited.Where(p => p != AuditCatalog.StaticPage && !pages.Contains(p)).ToList();
        Assert.True(stale.Count == 0, "AuditCatalog names pages the site does not have: " + string.Join(", ", stale));

        // Every story has a test that audits its lines (ExpectAuditedAll), so a line no test reaches fails there.
        var storyTests = typeof(AccessibilityTests).GetMethods().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var story in Enum.GetValues<AuditStory>())
        {
            Assert.Contains(story + "StatesPassAxe", storyTests);
        }
    }

    /// <summary>The audit finds what it should: an image without text and a faint paragraph (axe), an event-handler
    /// attribute and a script element (in the page's HTML), with the rule, impact, selector and help URL in the message.</summary>
    [Fact]
    public Task TheAuditReportsViolationsAndScript() => RunAsync(async page =>
    {
        await using var audit = await AxeAudit.StartAsync(Browser.Browser, Site.BaseUrl);
        var state = new AuditedState("(test)", AuditStory.Errors, "a page with faults");
        await page.GotoAsync(AboutPage.Path);
        await page.SetContentAsync("""
            <!DOCTYPE html><html lang="en"><head><title>Faults</title><link rel="stylesheet" href="/css/site.css"></head>
            <body><main><h1>Faults</h1><img src="/none.png" id="no-alt"><p style="color:#ddd;background:#fff">faint</p>
            <button onclick="go()">Go</button><script>1</script></main></body></html>
            """);

        await audit.CheckAsync(page, state);

        var failures = string.Join(Environment.NewLine, audit.Failures);
        Assert.Contains("image-alt (critical)", failures, StringComparison.Ordinal);
        Assert.Contains("#no-alt", failures, StringComparison.Ordinal);
        Assert.Contains("https://dequeuniversity.com/rules/axe/", failures, StringComparison.Ordinal);
        Assert.Contains("color-contrast (serious)", failures, StringComparison.Ordinal);
        Assert.Contains(" at 360 px: ", failures, StringComparison.Ordinal);
        Assert.Contains("button[onclick]", failures, StringComparison.Ordinal);
        Assert.Contains("1 <script>", failures, StringComparison.Ordinal);
        Assert.Throws<Xunit.Sdk.TrueException>(audit.ExpectNoViolations);
    });

    [Fact]
    public Task SignUpStatesPassAxe() => AuditAsync(AuditStory.SignUp, async (page, audit, stories) =>
    {
        await stories.Home.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.HomeSignedOut);
        await stories.About.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.About);

        var user = TestUser.CreateUnique();
        await stories.Signup.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.SignupEmpty);
        await stories.Signup.SubmitAsync(user with { Email = "ada.example.com", Phone = "12345" }, confirmPassword: "something else");
        await Expect(stories.Signup.ErrorFor("Email")).ToBeVisibleAsync();
        await Expect(stories.Signup.ValidationSummary).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.SignupErrors);

        await stories.Signup.GotoAsync();
        await stories.Signup.SubmitAsync(user);
        await stories.ConfirmPhone.ExpectPathAsync(ConfirmPhonePage.Path);
        await Expect(stories.ConfirmPhone.FlashInfo).ToHaveTextAsync(ConfirmPhonePage.Created(user.MaskedPhone));
        await audit.CheckAsync(page, AuditCatalog.ConfirmPhoneCreated);
        await stories.ConfirmPhone.ConfirmButton.ClickAsync();
        await Expect(stories.ConfirmPhone.ErrorFor("Code")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.ConfirmPhoneErrors);
        await stories.ConfirmPhone.Email.FillAsync(user.Email);
        await stories.ConfirmPhone.SubmitCodeAsync(UserStories.WrongCode(stories.CodeSentTo(user)));
        await Expect(stories.ConfirmPhone.FlashError).ToHaveTextAsync(ConfirmPhonePage.InvalidCode);
        await audit.CheckAsync(page, AuditCatalog.ConfirmPhoneWrongCode);
        await stories.ConfirmPhone.Email.FillAsync(user.Email);
        await stories.ConfirmPhone.ResendButton.ClickAsync();
        await Expect(stories.ConfirmPhone.FlashInfo).ToHaveTextAsync(ConfirmPhonePage.ResendAnswer);
        await audit.CheckAsync(page, AuditCatalog.ConfirmPhoneResent);

        await stories.ConfirmPhone.Email.FillAsync(user.Email);
        await stories.ConfirmPhone.SubmitCodeAsync(stories.CodeSentTo(user));
        await stories.RecoveryCodes.ExpectPathAsync(RecoveryCodesPage.Path);
        await Expect(stories.RecoveryCodes.CodeList.Locator("li")).ToHaveCountAsync(10);
        await audit.CheckAsync(page, AuditCatalog.RecoveryCodesShown);
        user = await stories.SaveRecoveryCodesAsync(user);
        await audit.CheckAsync(page, AuditCatalog.LoginPrefilled);

        await stories.ConfirmPhone.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.ConfirmPhoneEmpty);
        await stories.RecoveryCodes.GotoAsync();
        await Expect(stories.RecoveryCodes.Main).ToContainTextAsync(RecoveryCodesPage.NoneToShow);
        await audit.CheckAsync(page, AuditCatalog.RecoveryCodesNone);

        await stories.Login.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.LoginEmpty);
        await stories.Login.LogInAsync("", ""); // the email remembered from the signup is cleared too
        await Expect(stories.Login.ErrorFor("Email")).ToBeVisibleAsync();
        await Expect(stories.Login.ErrorFor("Password")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.LoginErrors);
        await stories.FailLogInAsync(user);
        await audit.CheckAsync(page, AuditCatalog.LoginWrongPassword);
    });

    [Fact]
    public Task LockoutStatesPassAxe() => AuditAsync(AuditStory.Lockout, async (page, audit, stories) =>
    {
        var user = await stories.SignUpAsync();
        await stories.Unlock.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.UnlockEmpty);

        var code = await stories.LockAsync(user);
        await audit.CheckAsync(page, AuditCatalog.UnlockLocked);
        await stories.Unlock.UnlockButton.ClickAsync();
        await Expect(stories.Unlock.ErrorFor("Code")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.UnlockErrors);
        await stories.Unlock.SubmitCodeAsync(UserStories.WrongCode(code), user.Email);
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(UnlockPage.InvalidCode);
        await audit.CheckAsync(page, AuditCatalog.UnlockWrongCode);
        code = await stories.ResendUnlockCodeAsync(user);
        await audit.CheckAsync(page, AuditCatalog.UnlockResent);
        Site.RingCentral.FailNextSms(FakeFailure.RateLimited(42));
        await stories.Unlock.ResendAsync(user.Email);
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync("We could not send the verification code right now. Please try again in 42 seconds.");
        await audit.CheckAsync(page, AuditCatalog.UnlockSendFailed);
        Site.RingCentral.ClearFailures();
        await stories.Login.GotoAsync();
        await stories.Login.LogInAsync(user.Email, user.Password);
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(stories.Unlock.FlashInfo).ToHaveTextAsync(UnlockPage.StillLocked(user.MaskedPhone));
        await audit.CheckAsync(page, AuditCatalog.UnlockStillLocked);

        await page.GotoAsync(UnlockPage.WithRecoveryCodePath);
        await Expect(stories.Unlock.RecoveryCode).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.UnlockRecoveryEmpty);
        await stories.Unlock.SubmitRecoveryCodeAsync(WrongRecoveryCode, user.Email);
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(UnlockPage.WrongRecoveryCode);
        await audit.CheckAsync(page, AuditCatalog.UnlockRecoveryWrong);

        await stories.Unlock.GotoAsync();
        await stories.UnlockAsync(user, code);
        await audit.CheckAsync(page, AuditCatalog.LoginUnlocked);
    });

    [Fact]
    public Task ResetPasswordStatesPassAxe() => AuditAsync(AuditStory.ResetPassword, async (page, audit, stories) =>
    {
        var user = await stories.SignUpAsync();
        await stories.Reset.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.ResetEmpty);
        await stories.Reset.Email.FillAsync(""); // the page prefills the email remembered from the signup
        await stories.Reset.SendCodeButton.ClickAsync();
        await Expect(stories.Reset.ErrorFor("Email")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.ResetErrors);

        var code = await stories.RequestResetCodeAsync(user);
        await audit.CheckAsync(page, AuditCatalog.ResetCodeSent);
        await stories.Reset.ChangePasswordAsync(code, NewPassword, user.Email, confirm: "another passphrase");
        await Expect(stories.Reset.ErrorFor("ConfirmPassword")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.ResetCodeErrors);
        await stories.Reset.ChangePasswordAsync(UserStories.WrongCode(code), NewPassword, user.Email);
        await Expect(stories.Reset.FlashError).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.ResetWrongCode);

        await page.GotoAsync(ResetPasswordPage.RecoveryCodeStepPath);
        await Expect(stories.Reset.RecoveryCode).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.ResetRecoveryEmpty);
        await stories.Reset.ChangePasswordWithRecoveryCodeAsync(user.Email, WrongRecoveryCode, NewPassword);
        await Expect(stories.Reset.FlashError).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.ResetRecoveryWrong);
        await stories.Reset.ChangePasswordWithRecoveryCodeAsync(user.Email, user.RecoveryCodes[0], NewPassword);
        await stories.Login.ExpectPathAsync(LoginPage.Path);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(ResetPasswordPage.ChangedWithRecoveryCode);
        await audit.CheckAsync(page, AuditCatalog.LoginPasswordReset);
    });

    [Fact]
    public Task SignedInStatesPassAxe() => AuditAsync(AuditStory.SignedIn, async (page, audit, stories) =>
    {
        var user = await stories.SignUpAndLogInAsync();
        await audit.CheckAsync(page, AuditCatalog.HomeSignedIn);
        await stories.About.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.AboutSignedIn);
        await using (var other = await NewContextAsync(UserAgents.SafariOnIPhone))
        {
            await new UserStories(await other.NewPageAsync(), Site).LogInAsync(user);
        }

        await stories.Account.GotoAsync();
        await Expect(stories.Account.Sessions).ToHaveCountAsync(2);
        await audit.CheckAsync(page, AuditCatalog.Account);

        await stories.AccountPassword.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.PasswordEmpty);
        await stories.AccountPassword.ChangePasswordButton.ClickAsync();
        await Expect(stories.AccountPassword.ErrorFor("CurrentPassword")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.PasswordErrors);
        await stories.AccountPassword.ChangeAsync(UserStories.WrongPassword, NewPassword);
        await Expect(stories.AccountPassword.ErrorFor("CurrentPassword")).ToHaveTextAsync(AccountPasswordPage.WrongCurrentPassword);
        await audit.CheckAsync(page, AuditCatalog.PasswordWrongCurrent);
        await stories.AccountPassword.ChangeAsync(user.Password, NewPassword);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountPage.PasswordChanged);
        await audit.CheckAsync(page, AuditCatalog.AccountWithFlash);
        user = user with { Password = NewPassword };

        await stories.AccountPhone.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.PhoneEmpty);
        await stories.AccountPhone.SendCodesAsync("12345", user.Password);
        await Expect(stories.AccountPhone.ErrorFor("Phone")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.PhoneErrors);
        var newNumber = TestUser.CreateUnique();
        await stories.StartPhoneChangeAsync(user, newNumber);
        await audit.CheckAsync(page, AuditCatalog.PhoneCodesSent);
        await stories.AccountPhone.ConfirmAsync("000000", "000000");
        await Expect(stories.AccountPhone.FlashError).ToHaveTextAsync(AccountPhonePage.CodeRejected);
        await audit.CheckAsync(page, AuditCatalog.PhoneCodeRejected);
        await stories.AccountPhone.NewPhone.FillAsync(newNumber.Phone);
        await stories.AccountPhone.CurrentPassword.FillAsync(user.Password);
        await stories.AccountPhone.LostCurrentPhone.CheckAsync();
        await stories.AccountPhone.SendCodesButton.ClickAsync();
        await Expect(stories.AccountPhone.FlashInfo).ToHaveTextAsync(AccountPhonePage.CodeSentForRecoveryApproval(newNumber.MaskedPhone));
        await Expect(stories.AccountPhone.RecoveryCode).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.PhoneRecoveryApproval);

        await stories.AccountRecoveryCodes.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.NewRecoveryCodesEmpty);
        // Submitted empty, not with a wrong password: three wrong passwords would lock the account.
        await stories.AccountRecoveryCodes.GetNewButton.ClickAsync();
        await Expect(stories.AccountRecoveryCodes.ErrorFor("CurrentPassword")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.NewRecoveryCodesErrors);
        await stories.GetNewRecoveryCodesAsync(user);
        await audit.CheckAsync(page, AuditCatalog.RecoveryCodesNewSet);

        await stories.AccountTwoFactor.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.TwoFactorOff);
        await stories.AccountTwoFactor.TurnOnAsync(UserStories.WrongPassword);
        await Expect(stories.AccountTwoFactor.ErrorFor("CurrentPassword")).ToHaveTextAsync(AccountTwoFactorPage.WrongCurrentPassword);
        await audit.CheckAsync(page, AuditCatalog.TwoFactorWrong);
        await stories.TurnOnSignInCodeAsync(user);
        await audit.CheckAsync(page, AuditCatalog.AccountTwoFactorOn);
        await stories.AccountTwoFactor.GotoAsync();
        await Expect(stories.AccountTwoFactor.TurnOffButton).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.TwoFactorOn);

        await stories.SignOutAsync();
        await audit.CheckAsync(page, AuditCatalog.LoginSignedOut);
    });

    [Fact]
    public Task SignInCodeStatesPassAxe() => AuditAsync(AuditStory.SignInCode, async (page, audit, stories) =>
    {
        var user = await stories.SignUpAndLogInAsync();
        await stories.TurnOnSignInCodeAsync(user);
        await stories.SignOutAsync();
        var code = await stories.LogInUpToCodeAsync(user);
        await audit.CheckAsync(page, AuditCatalog.LoginCodeSent);
        await stories.LoginCode.SignInButton.ClickAsync();
        await Expect(stories.LoginCode.ErrorFor("Code")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.LoginCodeErrors);
        await stories.EnterWrongSignInCodeAsync(UserStories.WrongCode(code));
        await audit.CheckAsync(page, AuditCatalog.LoginCodeWrong);
        await stories.LoginCode.ResendButton.ClickAsync();
        await Expect(stories.LoginCode.FlashInfo).ToHaveTextAsync(LoginCodePage.Resent(user.MaskedPhone));
        await audit.CheckAsync(page, AuditCatalog.LoginCodeResent);
        // TwoFactor:MaxTextsPerHour (5) per account: signup, sign-in and the resend were three; the sixth is refused.
        for (var i = 0; i < 3 && await stories.LoginCode.FlashError.CountAsync() == 0; i++)
        {
            await stories.LoginCode.ResendButton.ClickAsync();
        }

        await Expect(stories.LoginCode.FlashError).ToContainTextAsync("Too many codes were texted to this account in the last hour. Please try again in ");
        await audit.CheckAsync(page, AuditCatalog.LoginCodePleaseWait);

        await stories.LoginCode.UseRecoveryCodeLink.ClickAsync();
        await Expect(stories.LoginCode.RecoveryCode).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.LoginCodeRecoveryEmpty);
        await stories.LoginCode.RecoveryCode.FillAsync(WrongRecoveryCode);
        await stories.LoginCode.SignInWithRecoveryCodeButton.ClickAsync();
        await Expect(stories.LoginCode.FlashError).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.LoginCodeRecoveryWrong);
    });

    [Fact]
    public Task AuthenticatorStatesPassAxe() => AuditAsync(AuditStory.Authenticator, async (page, audit, stories) =>
    {
        var user = await stories.SignUpAndLogInAsync();
        var app = stories.AccountAuthenticator;
        await app.GotoAsync();
        await audit.CheckAsync(page, AuditCatalog.AuthenticatorNone);
        await app.StartAsync(UserStories.WrongPassword);
        await Expect(app.ErrorFor("CurrentPassword")).ToHaveTextAsync(AccountAuthenticatorPage.WrongCurrentPassword);
        await audit.CheckAsync(page, AuditCatalog.AuthenticatorWrongPassword);
        await app.StartAsync(user.Password);
        await Expect(app.FlashInfo).ToHaveTextAsync(AccountAuthenticatorPage.ScanNow);
        await Expect(app.QrCode).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.AuthenticatorSetupShown);
        var key = IdentityTwoFactor.Tests.Support.Rfc6238.FromBase32(await app.Key.InnerTextAsync());
        await app.ConfirmAsync(WrongAppCode(stories, key));
        await Expect(app.FlashError).ToHaveTextAsync(AccountAuthenticatorPage.WrongConfirmationCode);
        await Expect(app.QrCode).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.AuthenticatorWrongCode);
        await app.ConfirmAsync(stories.AppCode(key));
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountAuthenticatorPage.SetUp);
        await audit.CheckAsync(page, AuditCatalog.AccountAppSetUp);
        await app.GotoAsync();
        await Expect(app.RemoveButton).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.AuthenticatorManage);

        await stories.SignOutAsync();
        await stories.LogInUpToAppCodeAsync(user);
        await audit.CheckAsync(page, AuditCatalog.LoginCodeApp);
        await stories.LoginCode.SignInButton.ClickAsync();
        await Expect(stories.LoginCode.ErrorFor("Code")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.LoginCodeAppErrors);
        await stories.LoginCode.SubmitAppCodeAsync(WrongAppCode(stories, key));
        await Expect(stories.LoginCode.FlashError).ToHaveTextAsync(LoginCodePage.WrongAppCode);
        await audit.CheckAsync(page, AuditCatalog.LoginCodeAppWrong);
        await stories.LoginCode.TextMeACodeButton.ClickAsync();
        await Expect(stories.LoginCode.FlashInfo).ToHaveTextAsync(LoginCodePage.Resent(user.MaskedPhone));
        await Expect(stories.LoginCode.UseAppLink).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.LoginCodeTextedWithApp);
        await stories.EnterSignInCodeAsync(user, stories.CodeSentTo(user));
        await stories.SignOutAsync();

        await stories.LockAsync(user);
        await stories.Unlock.UseAppLink.ClickAsync();
        await Expect(stories.Unlock.Email).ToHaveValueAsync(user.Email);
        await audit.CheckAsync(page, AuditCatalog.UnlockAppEmpty);
        await stories.Unlock.SubmitAppCodeAsync(WrongAppCode(stories, key));
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(UnlockPage.WrongAppCode);
        await audit.CheckAsync(page, AuditCatalog.UnlockAppWrong);

        await page.GotoAsync(ResetPasswordPage.AppStepPath);
        await Expect(stories.Reset.AppCode).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.ResetAppEmpty);
        await stories.Reset.ChangePasswordWithAppAsync(user.Email, NewPassword, () => WrongAppCode(stories, key));
        await Expect(stories.Reset.FlashError).ToHaveTextAsync(UnlockPage.WrongAppCode);
        await audit.CheckAsync(page, AuditCatalog.ResetAppWrong);

        // Unlocked with the app, signed in with it, and the app removed.
        Site.Clock.Advance(TimeSpan.FromSeconds(30));
        await stories.Unlock.GotoAsync();
        await stories.Unlock.UseAppLink.ClickAsync();
        await stories.Unlock.SubmitAppCodeAsync(stories.AppCode(key), user.Email);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(UnlockPage.UnlockedWithApp);
        await stories.LogInUpToAppCodeAsync(user);
        Site.Clock.Advance(TimeSpan.FromSeconds(30));
        await stories.LoginCode.SubmitAppCodeAsync(stories.AppCode(key));
        await stories.Home.ExpectPathAsync(HomePage.Path);
        await app.GotoAsync();
        await app.RemoveAsync(user.Password);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountAuthenticatorPage.Removed);
        await audit.CheckAsync(page, AuditCatalog.AccountAppRemoved);
    });

    /// <summary>A well-formed code the app does not show now (nor 30 seconds either side).</summary>
    private static string WrongAppCode(UserStories stories, byte[] key) =>
        UserStories.WrongCode(stories.AppCode(key, -1), stories.AppCode(key), stories.AppCode(key, 1));

    [Fact]
    public Task ErrorsStatesPassAxe() => AuditAsync(AuditStory.Errors, async (page, audit, stories) =>
    {
        await ExpectErrorPageAsync("/no-such-page", 404, "Page not found", AuditCatalog.NotFound);
        await ExpectErrorPageAsync("/error/429", 429, "Too many requests", AuditCatalog.TooManyRequests);
        await ExpectErrorPageAsync("/error/500", 500, "Something went wrong", AuditCatalog.ServerError);

        // The pages written without Razor, served as the site serves them (its stylesheet, in its origin).
        await audit.CheckHtmlAsync(Site.BaseUrl + LoginPage.Path, SiteBusyHandler.Html, AuditCatalog.Busy);
        await audit.CheckHtmlAsync(Site.BaseUrl + LoginPage.Path, IdentityTwoFactor.Data.Outage.DatabaseOutagePage.Html, AuditCatalog.DatabaseOutage);

        // /logout renders nothing of its own (AuditCatalog.PagesThatRenderNothing): a GET lands on the home page.
        await page.GotoAsync("/logout");
        await stories.Home.ExpectPathAsync(HomePage.Path);

        await stories.SignUpAndLogInAsync();
        await ExpectErrorPageAsync("/account/no-such-page", 404, "Page not found", AuditCatalog.NotFoundSignedIn);
        await Expect(stories.Home.NavLink("Account")).ToBeVisibleAsync();

        async Task ExpectErrorPageAsync(string path, int status, string heading, AuditedState state)
        {
            var response = await page.GotoAsync(path);
            Assert.Equal(status, response?.Status);
            await Expect(stories.Home.Heading).ToHaveTextAsync(heading);
            await audit.CheckAsync(page, state);
        }
    });

    /// <summary>/dev/outbox exists in Development when no RingCentral credentials are set: a site of its own, so.</summary>
    [Fact]
    public Task DevelopmentOutboxStatesPassAxe() => RunAsync(async _ =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "itf-e2e-outbox-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            await using (var outboxSite = new SiteFactory(SiteFixture.TestSettings(Path.Combine(folder, "site.db"), ringCentral: null), new FakeTimeProvider(DateTimeOffset.UtcNow)))
            {
                outboxSite.StartServer();
                await using var context = await Browser.Browser.NewContextAsync(new BrowserNewContextOptions
                {
                    BaseURL = outboxSite.BaseUrl,
                    JavaScriptEnabled = Browser.Settings.JavaScriptEnabled,
                    ViewportSize = new ViewportSize { Width = DesktopWidth, Height = DesktopHeight },
                    Locale = "en-US",
                });
                var page = await context.NewPageAsync();
                await using var audit = await AxeAudit.StartAsync(Browser.Browser, outboxSite.BaseUrl);

                var response = await page.GotoAsync("/dev/outbox");
                Assert.Equal(200, response?.Status);
                await Expect(page.Locator("main")).ToContainTextAsync("No messages yet.");
                await audit.CheckAsync(page, AuditCatalog.OutboxEmpty);

                var user = TestUser.CreateUnique();
                var signup = new SignupPage(page);
                await signup.GotoAsync();
                await signup.SubmitAsync(user);
                await signup.ExpectPathAsync(ConfirmPhonePage.Path);
                await page.GotoAsync("/dev/outbox");
                await Expect(page.Locator("main tbody tr")).ToHaveCountAsync(1);
                await audit.CheckAsync(page, AuditCatalog.OutboxWithTexts);

                Report(audit);
                audit.ExpectAuditedAll(AuditStory.DevelopmentOutbox);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open: the temp folder is cleaned by the OS eventually.
            }
        }
    });

    [Fact]
    public Task SupportStatesPassAxe() => AuditAsync(AuditStory.Support, async (page, audit, stories) =>
    {
        var caller = await stories.SignUpAsync();
        await stories.LockAsync(caller);
        var agent = await stories.BecomeSupportAgentAsync();
        await audit.CheckAsync(page, AuditCatalog.SupportEmpty);
        await stories.Support.FindAsync("");
        await Expect(stories.Support.ErrorFor("Email")).ToBeVisibleAsync();
        await audit.CheckAsync(page, AuditCatalog.SupportErrors);
        await stories.Support.FindAsync("nobody-" + caller.Email);
        await Expect(stories.Support.ErrorFor("Email")).ToHaveTextAsync(SupportPage.NoAccount);
        await audit.CheckAsync(page, AuditCatalog.SupportNoAccount);

        await stories.FindInSupportAsync(caller);
        await Expect(stories.SupportAccount.Summary("Lock")).ToHaveTextAsync("Locked until unlocked");
        await audit.CheckAsync(page, AuditCatalog.SupportAccountLocked);
        await stories.SupportAccount.UnlockAsync(UserStories.WrongPassword);
        await Expect(stories.SupportAccount.ErrorFor("Password")).ToHaveTextAsync(SupportAccountPage.WrongPassword);
        await audit.CheckAsync(page, AuditCatalog.SupportAccountWrongPassword);
        await stories.SupportAccount.UnlockAsync(agent.Password);
        await Expect(stories.SupportAccount.FlashInfo).ToHaveTextAsync(SupportAccountPage.Unlocked);
        await audit.CheckAsync(page, AuditCatalog.SupportAccountUnlocked);
    });

    /// <summary>Walks <paramref name="story"/> with JavaScript off, auditing as it goes; fails listing every violation, and
    /// when a catalog line of the story was not audited.</summary>
    private Task AuditAsync(AuditStory story, Func<IPage, AxeAudit, UserStories, Task> walk) => RunAsync(async page =>
    {
        await using var audit = await AxeAudit.StartAsync(Browser.Browser, Site.BaseUrl);
        await walk(page, audit, new UserStories(page, Site));
        Report(audit);
        audit.ExpectAuditedAll(story);
    }, variant: null, test: story + "StatesPassAxe");

    private void Report(AxeAudit audit)
    {
        Output.WriteLine($"Audited {audit.Audited.Count} states at {AxeAudit.Widths.Length} widths in {audit.Elapsed.TotalSeconds:0.0} s.");
        foreach (var note in audit.Notes)
        {
            Output.WriteLine("moderate/minor, not failed on: " + note);
        }
    }
}
