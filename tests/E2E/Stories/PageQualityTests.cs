using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Stories 10 and 11: every page is script-free under a strict CSP, labelled, and works with JavaScript off.</summary>
public sealed class PageQualityTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    public static TheoryData<string> Paths { get; } =
    [
        "/", "/signup", "/login", "/unlock", "/reset-password", "/reset-password?step=code", "/about", "/confirm-phone",
    ];

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

        foreach (var path in new[] { AccountPage.Path, AccountPasswordPage.Path, AccountPhonePage.Path, AccountTwoFactorPage.Path })
        {
            await CheckAsync(path);
        }

        // /account/phone with its second form (the code texted to the new number).
        await stories.AccountPhone.GotoAsync();
        await stories.AccountPhone.SendCodeAsync(TestUser.CreateUnique().Phone);
        await Expect(stories.AccountPhone.Code).ToBeVisibleAsync();
        await CheckAsync(AccountPhonePage.Path);

        // /login/code, halfway through a sign-in with the texted code on.
        await stories.TurnOnSignInCodeAsync(user);
        await CheckAsync(AccountTwoFactorPage.Path); // now with "Turn off"
        await stories.SignOutAsync();
        await stories.LogInUpToCodeAsync(user);
        await CheckAsync(LoginCodePage.Path);
        await Expect(stories.LoginCode.RememberBrowser).ToBeVisibleAsync();

        async Task CheckAsync(string path)
        {
            var response = await page.GotoAsync(path) ?? throw new InvalidOperationException($"No response for {path}.");
            Assert.Equal(path, new Uri(page.Url).AbsolutePath); // not sent to /login
            await ExpectStrictCspNoScriptsAndLabelledInputsAsync(page, response, path);
        }
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
