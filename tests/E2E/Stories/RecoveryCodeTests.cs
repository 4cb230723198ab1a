using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Issue 17: the ways back in when the phone is gone, with recovery codes saved at signup.</summary>
public sealed class RecoveryCodeTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task CanSaveRecoveryCodesAndUnlockWithOneAfterLosingThePhone() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();
        Assert.Equal(10, user.RecoveryCodes.Count);

        // The phone is lost: the unlock code texted by the lock never arrives anywhere the owner can read.
        await stories.LockAsync(user);
        var textsAfterLock = Site.MessagesTo(user.E164).Count;
        await stories.Unlock.UseRecoveryCodeLink.ClickAsync();
        await stories.Unlock.ExpectPathAsync(UnlockPage.WithRecoveryCodePath);
        await Expect(stories.Unlock.Email).ToHaveValueAsync(user.Email);

        // Typed as a person might: small letters, a space instead of the dash.
        await stories.Unlock.SubmitRecoveryCodeAsync(user.RecoveryCodes[3].ToLowerInvariant().Replace('-', ' '));

        await stories.Login.ExpectPathAsync(LoginPage.Path);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(UnlockPage.UnlockedWithRecoveryCode);
        Assert.Equal(textsAfterLock, Site.MessagesTo(user.E164).Count);
        await stories.LogInAsync(user);
        await stories.Account.GotoAsync();
        await Expect(stories.Account.RecoveryCodesLeft).ToHaveTextAsync("9 left");
        await Expect(stories.Account.ActivityWhat.Nth(1)).ToHaveTextAsync(AccountPage.Events.UnlockedWithRecoveryCode);

        // The code is used up: locked again, it no longer unlocks; another of the saved codes does.
        await stories.SignOutAsync();
        await stories.LockAsync(user);
        await stories.Unlock.UseRecoveryCodeLink.ClickAsync();
        await stories.Unlock.SubmitRecoveryCodeAsync(user.RecoveryCodes[3]);
        await stories.Unlock.ExpectPathAsync(UnlockPage.WithRecoveryCodePath);
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(UnlockPage.WrongRecoveryCode);
        await stories.Unlock.SubmitRecoveryCodeAsync(user.RecoveryCodes[4], user.Email);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(UnlockPage.UnlockedWithRecoveryCode);
    });

    [Fact]
    public Task AMalformedRecoveryCodeIsAMessageNotAGuess() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        await stories.Unlock.GotoAsync();
        await stories.Unlock.UseRecoveryCodeLink.ClickAsync();

        await stories.Unlock.SubmitRecoveryCodeAsync("12345", "someone@example.com");

        await Expect(stories.Unlock.ErrorFor("RecoveryCode")).ToHaveTextAsync("Enter one of your recovery codes: 10 letters and digits, like ABCDE-23456.");
        await stories.Unlock.UseTextedCodeLink.ClickAsync();
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
    });
}
