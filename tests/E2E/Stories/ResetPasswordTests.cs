using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Stories 7 and 8: resetting a forgotten password with a texted code.</summary>
public sealed class ResetPasswordTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task ResetPasswordEndToEndAlsoUnlocks() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();
        await stories.LockAsync(user);

        var code = await stories.RequestResetCodeAsync(user);
        await Expect(stories.Reset.Email).ToHaveValueAsync(user.Email);
        const string newPassword = "a brand new passphrase";
        await stories.Reset.ChangePasswordAsync(code, newPassword);
        await stories.Login.ExpectPathAsync(LoginPage.Path);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(LoginPage.PasswordChanged);

        // The old password is wrong now (and the account is no longer locked: this is a plain wrong login).
        await stories.FailLogInAsync(user, user.Password);
        await stories.LogInAsync(user, newPassword);
    });

    [Fact]
    public Task ResetForUnknownEmailLooksTheSameAndTextsNothing() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();

        await stories.RequestResetCodeAsync(user);
        var known = await DescribeAsync(page, stories.Reset);

        var smsRequests = Site.RingCentral.SmsRequests;
        var texts = Site.RingCentral.Messages.Count;
        await stories.Reset.GotoAsync();
        await stories.Reset.SendCodeAsync($"nobody-{Guid.NewGuid():N}@example.com");
        await Expect(stories.Reset.FlashInfo).ToHaveTextAsync(ResetPasswordPage.SentAnswer);
        var unknown = await DescribeAsync(page, stories.Reset);

        Assert.Equal(known, unknown);
        Assert.Equal(smsRequests, Site.RingCentral.SmsRequests);
        Assert.Equal(texts, Site.RingCentral.Messages.Count);
    });

    /// <summary>What a person sees, minus the email they typed.</summary>
    private static async Task<string> DescribeAsync(IPage page, ResetPasswordPage reset)
    {
        var path = new Uri(page.Url).PathAndQuery;
        var flashes = string.Join(" | ", await page.Locator("p.flash").AllInnerTextsAsync());
        var heading = await reset.Heading.InnerTextAsync();
        var labels = string.Join(", ", await reset.Main.Locator("label").AllInnerTextsAsync());
        var buttons = string.Join(", ", await reset.Main.GetByRole(AriaRole.Button).AllInnerTextsAsync());
        return $"{path} | {flashes} | {heading} | {labels} | {buttons}";
    }
}
