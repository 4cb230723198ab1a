using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Stories 10 and 11: every page is script-free under a strict CSP, labelled, and works with JavaScript off.</summary>
public sealed class PageQualityTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    /// <summary>The pages anyone reaches without signing in.</summary>
    private static readonly string[] SignedOutPaths =
    [
        "/", "/signup", "/login", "/unlock", "/reset-password", "/reset-password?step=code", "/about", "/confirm-phone",
        "/recovery-codes", "/unlock?with=recovery-code", "/reset-password?step=recovery-code", "/unlock?with=app",
        "/reset-password?step=app",
    ];

    public static TheoryData<string> Paths { get; } = Rows(SignedOutPaths);

    private static TheoryData<string> Rows(IEnumerable<string> values)
    {
        var rows = new TheoryData<string>();
        foreach (var value in values)
        {
            rows.Add(value);
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public Task EveryPageHasStrictCspNoScriptsAndLabelledInputs(string path) => RunAsync(async page =>
    {
        var response = await page.GotoAsync(path) ?? throw new InvalidOperationException($"No response for {path}.");
        await ExpectStrictCspNoScriptsAndLabelledInputsAsync(page, response, path);
    }, variant: path);

    /// <summary>The pages only a signed-in person (or one halfway through signing in) reaches, in each of their states.</summary>
    [Fact]
    public Task SignedInPagesHaveStrictCspNoScriptsAndLabelledInputs() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();

        foreach (var path in new[] { AccountPage.Path, AccountPasswordPage.Path, AccountPhonePage.Path, AccountTwoFactorPage.Path, AccountAuthenticatorPage.Path })
        {
            await CheckAsync(path);
        }

        // /account/authenticator with a setup started (QR code, key, code), then with an app (new app, remove).
        await stories.AccountAuthenticator.StartAsync(user.Password);
        await CheckAsync(AccountAuthenticatorPage.Path);
        await Expect(stories.AccountAuthenticator.QrCode).ToBeVisibleAsync();
        await stories.AccountAuthenticator.ConfirmAsync(stories.AppCode(IdentityTwoFactor.Tests.Support.Rfc6238.FromBase32(await stories.AccountAuthenticator.Key.InnerTextAsync())));
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await CheckAsync(AccountAuthenticatorPage.Path);
        await Expect(stories.AccountAuthenticator.RemoveButton).ToBeVisibleAsync();
        await stories.AccountAuthenticator.RemoveAsync(user.Password);
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await stories.AccountTwoFactor.GotoAsync();
        await stories.AccountTwoFactor.TurnOffAsync(user.Password);

        // /account/phone with its second form (the codes texted to the new number and to the current one).
        await stories.StartPhoneChangeAsync(user, TestUser.CreateUnique());
        await CheckAsync(AccountPhonePage.Path);
        await Expect(stories.AccountPhone.Code).ToBeVisibleAsync();
        await Expect(stories.AccountPhone.CurrentPhoneCode).ToBeVisibleAsync();

        // /login/code, halfway through a sign-in with the texted code on.
        await stories.TurnOnSignInCodeAsync(user);
        await CheckAsync(AccountTwoFactorPage.Path); // now with "Turn off"
        await stories.SignOutAsync();
        await stories.LogInUpToCodeAsync(user);
        await CheckAsync(LoginCodePage.Path);
        await Expect(stories.LoginCode.RememberBrowser).ToBeVisibleAsync();
        await ExpectStrictCspNoScriptsAndLabelledInputsAsync(page, (await page.GotoAsync("/login/code?with=recovery-code"))!, "/login/code?with=recovery-code");
        await ExpectStrictCspNoScriptsAndLabelledInputsAsync(page, (await page.GotoAsync(LoginCodePage.AppPath))!, LoginCodePage.AppPath);

        async Task CheckAsync(string path)
        {
            var response = await page.GotoAsync(path) ?? throw new InvalidOperationException($"No response for {path}.");
            Assert.Equal(path, new Uri(page.Url).AbsolutePath); // not sent to /login
            await ExpectStrictCspNoScriptsAndLabelledInputsAsync(page, response, path);
        }
    });

    /// <summary>The support console's pages (agents only): strict CSP, no scripts, labelled inputs, and no sideways scroll at
    /// 360 px, with a long email, a validation message and a full activity table.</summary>
    [Fact]
    public Task SupportPagesHaveStrictCspAndFitAPhone() => RunAsync(async page =>
    {
        var callerStories = new UserStories(page, Site);
        var caller = await callerStories.SignUpAsync(TestUser.CreateUnique() with { Email = $"a-rather-long-mailbox-name-{Guid.NewGuid():N}@support-example.com" });
        await callerStories.LockAsync(caller);

        await using var agentBrowser = await NewContextAsync();
        var agentPage = await agentBrowser.NewPageAsync();
        var stories = new UserStories(agentPage, Site);
        await stories.BecomeSupportAgentAsync();
        await agentPage.SetViewportSizeAsync(Screenshots.PhoneWidth, 740);

        var response = await agentPage.GotoAsync(SupportPage.Path) ?? throw new InvalidOperationException("No response for /support.");
        await ExpectStrictCspNoScriptsAndLabelledInputsAsync(agentPage, response, SupportPage.Path);
        await PageWidth.ExpectFitsAsync(agentPage, SupportPage.Path);
        await stories.Support.FindAsync("nobody-" + caller.Email);
        await Expect(stories.Support.ErrorFor("Email")).ToHaveTextAsync(SupportPage.NoAccount);
        await PageWidth.ExpectFitsAsync(agentPage, "/support with no such account");

        await stories.FindInSupportAsync(caller);
        var accountPath = new Uri(agentPage.Url).AbsolutePath;
        await stories.SupportAccount.UnlockAsync("not the agent's password");
        await Expect(stories.SupportAccount.ErrorFor("Password")).ToHaveTextAsync(SupportAccountPage.WrongPassword);
        await PageWidth.ExpectFitsAsync(agentPage, "/support/account/{id} with a wrong password");
        response = await agentPage.GotoAsync(accountPath) ?? throw new InvalidOperationException("No response for the account page.");
        await ExpectStrictCspNoScriptsAndLabelledInputsAsync(agentPage, response, accountPath);
        await PageWidth.ExpectFitsAsync(agentPage, "/support/account/{id} of a locked account");
    });

    /// <summary>At 360 px wide nothing is wider than the viewport (no sideways scrolling) on any page a person can reach,
    /// signed out and signed in, with the longest content each shows: three sessions, a full activity page, both steps of
    /// the phone change with their flash, and the sign-in code step.</summary>
    [Fact]
    public Task NoPageScrollsSidewaysOnAPhone() => RunAsync(async page =>
    {
        await page.SetViewportSizeAsync(Screenshots.PhoneWidth, 740);

        // The measurement catches a page that is too wide (JavaScript is off here as everywhere).
        await page.SetContentAsync("<body style=\"margin: 0\"><div style=\"width: 500px\">too wide</div></body>");
        var tooWide = await Assert.ThrowsAsync<Xunit.Sdk.TrueException>(() => PageWidth.ExpectFitsAsync(page, "a 500 px div"));
        Assert.Contains("is 500 px wide in a 360 px viewport", tooWide.Message, StringComparison.Ordinal);

        foreach (var path in SignedOutPaths.Append("/no-such-page"))
        {
            await page.GotoAsync(path);
            await PageWidth.ExpectFitsAsync(page, path);
        }

        var stories = new UserStories(page, Site);
        var user = TestUser.CreateUnique();
        await stories.Signup.GotoAsync();
        await stories.Signup.SubmitAsync(user with { Email = "ada.example.com", Phone = "12345" }, confirmPassword: "something else");
        await Expect(stories.Signup.ErrorFor("Email")).ToBeVisibleAsync();
        await PageWidth.ExpectFitsAsync(page, "/signup with errors");

        await stories.SignUpAndLogInAsync(user);
        await PageWidth.ExpectFitsAsync(page, "the welcome page");

        // A full activity page: turning the code at sign-in on and off is two events each time.
        for (var i = 0; i < 7; i++)
        {
            await stories.TurnOnSignInCodeAsync(user);
            await stories.AccountTwoFactor.GotoAsync();
            await stories.AccountTwoFactor.TurnOffAsync(user.Password);
            await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountTwoFactorPage.TurnedOff);
        }

        // Two more browsers, with long User-Agents.
        foreach (var userAgent in new[] { UserAgents.EdgeOnWindows, UserAgents.SafariOnIPhone })
        {
            await using var other = await NewContextAsync(userAgent);
            await new UserStories(await other.NewPageAsync(), Site).LogInAsync(user);
        }

        await stories.Account.GotoAsync();
        await Expect(stories.Account.Sessions).ToHaveCountAsync(3);
        await Expect(stories.Account.ActivityRows).ToHaveCountAsync(AccountPage.EventsPerPage);
        // 21 events (signup's five, fourteen, two sign-ins elsewhere): a full page and the link to the older one.
        await Expect(stories.Account.OlderLink).ToHaveCountAsync(1);
        await PageWidth.ExpectFitsAsync(page, "/account with three sessions and a full activity page");

        await stories.AccountPassword.GotoAsync();
        await PageWidth.ExpectFitsAsync(page, AccountPasswordPage.Path);
        await stories.AccountTwoFactor.GotoAsync();
        await PageWidth.ExpectFitsAsync(page, AccountTwoFactorPage.Path);
        await stories.AccountPhone.GotoAsync();
        await PageWidth.ExpectFitsAsync(page, AccountPhonePage.Path);
        await page.GotoAsync(AccountRecoveryCodesPage.Path);
        await PageWidth.ExpectFitsAsync(page, AccountRecoveryCodesPage.Path);
        await stories.AccountAuthenticator.GotoAsync();
        await PageWidth.ExpectFitsAsync(page, AccountAuthenticatorPage.Path);
        await stories.AccountAuthenticator.StartAsync(user.Password);
        await Expect(stories.AccountAuthenticator.QrCode).ToBeVisibleAsync();
        await PageWidth.ExpectFitsAsync(page, "/account/authenticator showing the QR code and the key");
        await stories.AccountAuthenticator.ConfirmAsync(stories.AppCode(IdentityTwoFactor.Tests.Support.Rfc6238.FromBase32(await stories.AccountAuthenticator.Key.InnerTextAsync())));
        await stories.AccountAuthenticator.GotoAsync();
        await PageWidth.ExpectFitsAsync(page, "/account/authenticator with an app set up");
        await stories.AccountAuthenticator.RemoveAsync(user.Password);
        await stories.AccountTwoFactor.GotoAsync();
        await stories.AccountTwoFactor.TurnOffAsync(user.Password);
        await stories.GetNewRecoveryCodesAsync(user);
        await PageWidth.ExpectFitsAsync(page, "/recovery-codes showing ten codes");
        await stories.StartPhoneChangeAsync(user, TestUser.CreateUnique());
        await PageWidth.ExpectFitsAsync(page, "/account/phone asking for both codes");

        await stories.TurnOnSignInCodeAsync(user);
        await stories.SignOutAsync();
        await stories.LogInUpToCodeAsync(user);
        await PageWidth.ExpectFitsAsync(page, LoginCodePage.Path);
        await page.GotoAsync("/login/code?with=recovery-code");
        await PageWidth.ExpectFitsAsync(page, "/login/code?with=recovery-code");
        await page.GotoAsync(LoginCodePage.AppPath);
        await PageWidth.ExpectFitsAsync(page, LoginCodePage.AppPath);

        // The database-outage page is written without Razor (it must render whatever is down): the same markup, with
        // the site's stylesheet, in the site's origin.
        await page.GotoAsync("/about");
        await page.SetContentAsync(IdentityTwoFactor.Data.Outage.DatabaseOutagePage.Html);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Temporarily unavailable");
        await PageWidth.ExpectFitsAsync(page, "the database-outage page (503)");
    });

    /// <summary>The page <paramref name="response"/> answered for <paramref name="path"/> is a 200 under a CSP that
    /// allows no script, holds no script, and every visible input and button has a name.</summary>
    private static async Task ExpectStrictCspNoScriptsAndLabelledInputsAsync(IPage page, IResponse response, string path)
    {
        Assert.Equal(200, response.Status);

        var csp = await response.HeaderValueAsync("content-security-policy");
        Assert.NotNull(csp);
        Assert.Contains("script-src 'none'", csp, StringComparison.Ordinal);

        var html = await response.TextAsync();
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);

        // Every input a person can see is found by its label, and the label points at that very input.
        var inputs = page.Locator("input:not([type=hidden])");
        var count = await inputs.CountAsync();
        var labelled = 0;
        for (var i = 0; i < count; i++)
        {
            var id = await inputs.Nth(i).GetAttributeAsync("id");
            Assert.False(string.IsNullOrEmpty(id), $"{path}: input #{i} has no id, so no <label for> can name it.");
            var label = page.Locator($"label[for='{id}']");
            await Expect(label).ToHaveCountAsync(1);
            var text = (await label.InnerTextAsync()).Trim();
            var byLabel = page.GetByLabel(text, new() { Exact = true });
            await Expect(byLabel).ToHaveCountAsync(1);
            Assert.Equal(id, await byLabel.GetAttributeAsync("id"));
            labelled++;
        }

        Assert.Equal(count, labelled);
        Assert.Equal(count, await page.Locator("label[for]").CountAsync());

        // Buttons have names too.
        foreach (var button in await page.GetByRole(AriaRole.Button).AllAsync())
        {
            Assert.False(string.IsNullOrWhiteSpace(await button.InnerTextAsync()), $"{path}: a button has no text.");
        }
    }

    [Fact]
    public Task SuiteRunsWithJavaScriptDisabled() => RunAsync(async page =>
    {
        Assert.False(Browser.Settings.JavaScriptEnabled);

        var home = new HomePage(page);
        await home.GotoAsync();
        // With scripting off, Chromium parses <noscript> content into real elements; with it on, it is raw text.
        await Expect(page.Locator(".noscript-marker")).ToHaveCountAsync(1);
        await Expect(page.Locator(".noscript-marker")).ToHaveAttributeAsync("data-noscript", "true");

        var about = new AboutPage(page);
        await about.GotoAsync();
        await Expect(about.Heading).ToHaveTextAsync("About this site");
        await Expect(page.Locator(".noscript-marker")).ToHaveCountAsync(1);
        await Expect(about.Main).ToContainTextAsync("3 failed passwords");
        await Expect(about.Main).ToContainTextAsync("one hour");
        await Expect(about.Main).ToContainTextAsync("restricted");
    });
}
