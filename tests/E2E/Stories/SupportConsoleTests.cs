using System.Text.RegularExpressions;
using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Issue 18: a caller locked out phones support; an agent finds the account in the console and unlocks it with the
/// agent's own password, in a browser with JavaScript off.</summary>
public sealed class SupportConsoleTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task AnAgentUnlocksACallerFromTheConsole() => RunAsync(async page =>
    {
        var callerStories = new UserStories(page, Site);
        var caller = await callerStories.SignUpAsync();
        await callerStories.LockAsync(caller);

        await using var agentBrowser = await NewContextAsync();
        var agentStories = new UserStories(await agentBrowser.NewPageAsync(), Site);
        var agent = await agentStories.BecomeSupportAgentAsync();
        await agentStories.FindInSupportAsync(caller);
        var account = agentStories.SupportAccount;
        await Expect(account.Summary("Lock")).ToHaveTextAsync("Locked until unlocked");
        await Expect(account.Summary("Failed attempts")).ToHaveTextAsync("3 in a row");
        // The confirmation code and the unlock code (and the hourly cap, when one is set).
        await Expect(account.Summary("Codes texted, last hour")).ToHaveTextAsync(new Regex(@"^2( \(at most \d+ an hour\))?$"));

        await account.UnlockAsync(agent.Password);

        await Expect(account.FlashInfo).ToHaveTextAsync(SupportAccountPage.Unlocked);
        await Expect(account.Summary("Lock")).ToHaveTextAsync("Not locked");
        await Expect(account.Summary("Failed attempts")).ToHaveTextAsync("0 in a row");
        await Expect(account.ActivityRows.First).ToContainTextAsync("Unlocked by support");
        // The caller, on the phone, signs in with the right password at once.
        await callerStories.LogInAsync(caller);
    });

    [Fact]
    public Task WithoutTheAgentsOwnPasswordTheCallerStaysLocked() => RunAsync(async page =>
    {
        var callerStories = new UserStories(page, Site);
        var caller = await callerStories.SignUpAsync();
        await callerStories.LockAsync(caller);

        await using var agentBrowser = await NewContextAsync();
        var agentStories = new UserStories(await agentBrowser.NewPageAsync(), Site);
        await agentStories.BecomeSupportAgentAsync();
        await agentStories.FindInSupportAsync(caller);
        var account = agentStories.SupportAccount;

        await account.UnlockAsync("not the agent's password");

        await Expect(account.ErrorFor("Password")).ToHaveTextAsync(SupportAccountPage.WrongPassword);
        await Expect(account.Summary("Lock")).ToHaveTextAsync("Locked until unlocked");
        await callerStories.Login.GotoAsync();
        await callerStories.Login.LogInAsync(caller.Email, caller.Password);
        await callerStories.Unlock.ExpectPathAsync(UnlockPage.Path);
    });

    [Fact]
    public Task ASignedInUserWhoIsNoAgentFindsNoConsole() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        await stories.SignUpAndLogInAsync();

        var response = await page.GotoAsync(SupportPage.Path);

        Assert.Equal(404, response?.Status);
        Assert.Equal(SupportPage.Path, new Uri(page.Url).AbsolutePath); // not sent to /login either
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Main.GetByRole(AriaRole.Link, new() { Name = "Support console" })).ToHaveCountAsync(0);
    });
}
