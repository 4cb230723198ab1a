using System.Globalization;
using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Stories 3 to 6: the lock after three wrong passwords and the texted unlock codes.</summary>
public sealed class LockoutTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task ThirdWrongPasswordLocksAndTextsOneCode() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();

        var textsAfterSignup = Site.MessagesTo(user.E164).Count; // the phone confirmation
        var code = await stories.LockAsync(user);

        var texts = Site.MessagesTo(user.E164);
        Assert.Equal(textsAfterSignup + 1, texts.Count);
        var text = texts[^1];
        Assert.Contains("to unlock your account", text.Text, StringComparison.Ordinal);
        Assert.Matches("^[0-9]{6} is your verification code", text.Text);
        Assert.Equal(Site.RingCentral.FromNumber, text.From);
        Assert.StartsWith(code, text.Text, StringComparison.Ordinal);

        // The right password does not open a locked account, and sends nothing new.
        await stories.Login.GotoAsync();
        await stories.Login.LogInAsync(user.Email, user.Password);
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(stories.Unlock.FlashInfo).ToHaveTextAsync(UnlockPage.StillLocked(user.MaskedPhone));
        await Expect(stories.Unlock.Email).ToHaveValueAsync(user.Email);
        Assert.Equal(textsAfterSignup + 1, Site.MessagesTo(user.E164).Count);
    });

    [Fact]
    public Task WrongCodeBurnsTheTextedCodeAndResendUnlocks() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();
        var code = await stories.LockAsync(user);

        await stories.Unlock.SubmitCodeAsync(OtherCode(code));
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(UnlockPage.InvalidCode);

        // The wrong guess cancelled the texted code.
        await stories.Unlock.SubmitCodeAsync(code, user.Email);
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(UnlockPage.InvalidCode);

        var newCode = await stories.ResendUnlockCodeAsync(user);
        await stories.UnlockAsync(user, newCode);
        await stories.LogInAsync(user);
    });

    [Fact]
    public Task ExpiredCodeAsksForResendAndTheNewCodeUnlocks() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();
        var code = await stories.LockAsync(user);

        Site.Clock.Advance(TimeSpan.FromHours(1));
        await stories.Unlock.SubmitCodeAsync(code, user.Email);
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(stories.Unlock.FlashError).ToHaveTextAsync(UnlockPage.ExpiredCode);

        var newCode = await stories.ResendUnlockCodeAsync(user);
        Assert.NotEqual(code, newCode);
        await stories.UnlockAsync(user, newCode);
        await stories.LogInAsync(user);
    });

    [Fact]
    public Task UsedCodeCannotBeUsedAgain() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();

        // An unlock code, once used: the account is open, so the page says to log in.
        var unlockCode = await stories.LockAsync(user);
        await stories.UnlockAsync(user, unlockCode);
        await stories.Unlock.GotoAsync();
        await stories.Unlock.SubmitCodeAsync(unlockCode, user.Email);
        await stories.Login.ExpectPathAsync(LoginPage.Path);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(LoginPage.PleaseLogin);

        // A reset code, once used: invalid the second time, and the second new password is not applied.
        var resetCode = await stories.RequestResetCodeAsync(user);
        const string firstNewPassword = "first new password of Ada";
        await stories.Reset.ChangePasswordAsync(resetCode, firstNewPassword, user.Email);
        await stories.Login.ExpectPathAsync(LoginPage.Path);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(LoginPage.PasswordChanged);

        await stories.Reset.GotoCodeStepAsync();
        await stories.Reset.ChangePasswordAsync(resetCode, "second new password of Ada", user.Email);
        await stories.Reset.ExpectPathAsync(ResetPasswordPage.CodeStepPath);
        await Expect(stories.Reset.FlashError).ToHaveTextAsync(UnlockPage.InvalidCode);

        await stories.LogInAsync(user, firstNewPassword);
    });

    /// <summary>A well-formed code that is not <paramref name="code"/>.</summary>
    private static string OtherCode(string code) =>
        ((int.Parse(code, CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("000000", CultureInfo.InvariantCulture);
}
