using System.Text.RegularExpressions;
using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Story 9: RingCentral failing never shows an error page, only a retryable message.</summary>
public sealed class SmsFailureTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task RingCentralFailuresShowARetryableMessage() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();
        await stories.FailLogInAsync(user);
        await stories.FailLogInAsync(user);

        // 500 on the text sent by the locking attempt.
        Site.RingCentral.FailNextSms(FakeFailure.ServerError);
        await stories.Login.GotoAsync();
        var locked = await FinalPageAsync(page, UnlockPage.Path, () => stories.Login.LogInAsync(user.Email, UserStories.WrongPassword));
        await ExpectNoErrorPageAsync(page, locked);
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(
            "Your account is temporarily locked. We could not send the verification code right now. Please try again in a minute.");

        // 429 with Retry-After: 42 on a resend.
        Site.RingCentral.FailNextSms(FakeFailure.RateLimited(42));
        var limited = await FinalPageAsync(page, UnlockPage.Path, () => stories.Unlock.ResendAsync(user.Email));
        await ExpectNoErrorPageAsync(page, limited);
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(
            "We could not send the verification code right now. Please try again in 42 seconds.");
        await Expect(stories.Unlock.FlashInfo).ToHaveCountAsync(0);

        Site.RingCentral.ClearFailures();
        var code = await stories.ResendUnlockCodeAsync(user);
        await stories.UnlockAsync(user, code);
        await stories.LogInAsync(user);
    });

    /// <summary>Runs <paramref name="action"/> (a form post answered by a redirect) and returns the response of the page it ends on.</summary>
    private static Task<IResponse> FinalPageAsync(IPage page, string path, Func<Task> action) =>
        page.RunAndWaitForResponseAsync(action, r =>
            r.Request.IsNavigationRequest && r.Request.Method == "GET" && new Uri(r.Url).AbsolutePath == path);

    private static async Task ExpectNoErrorPageAsync(IPage page, IResponse response)
    {
        Assert.Equal(200, response.Status);
        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(UnlockPage.Path) + "$"));
        await Expect(page.Locator("main")).Not.ToContainTextAsync("Something went wrong");
        await Expect(page.Locator("main h1")).ToHaveTextAsync("Unlock your account");
    }
}
