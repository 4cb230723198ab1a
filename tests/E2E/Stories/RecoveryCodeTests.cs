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

    [Fact]
    public Task CanResetThePasswordWithARecoveryCode() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();
        const string NewPassword = "a new horse battery staple";

        await stories.Reset.GotoAsync();
        await stories.Reset.UseRecoveryCodeLink.ClickAsync();
        await stories.Reset.ExpectPathAsync(ResetPasswordPage.RecoveryCodeStepPath);
        await stories.Reset.ChangePasswordWithRecoveryCodeAsync(user.Email, user.RecoveryCodes[0], NewPassword);

        await stories.Login.ExpectPathAsync(LoginPage.Path);
        await Expect(stories.Login.FlashInfo).ToHaveTextAsync(ResetPasswordPage.ChangedWithRecoveryCode);
        await stories.LogInAsync(user, NewPassword);
        await stories.Account.GotoAsync();
        await Expect(stories.Account.ActivityWhat.Nth(1)).ToHaveTextAsync(AccountPage.Events.PasswordResetWithRecoveryCode);
    });

    [Fact]
    public Task CanSignInWithARecoveryCodeInsteadOfTheTextedCode() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();
        await stories.TurnOnSignInCodeAsync(user);
        await stories.SignOutAsync();

        await stories.LogInUpToCodeAsync(user); // texted to the phone that is gone
        await stories.LoginCode.UseRecoveryCodeLink.ClickAsync();
        await stories.LoginCode.RecoveryCode.FillAsync(user.RecoveryCodes[1]);
        await stories.LoginCode.SignInWithRecoveryCodeButton.ClickAsync();

        await stories.Home.ExpectPathAsync(HomePage.Path);
        await Expect(stories.Home.Heading).ToHaveTextAsync($"Welcome back, {user.FirstName}.");
        await stories.Account.GotoAsync();
        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.SignedInWithRecoveryCode);
        await Expect(stories.Account.RecoveryCodesLeft).ToHaveTextAsync("9 left");
    });

    [Fact]
    public Task CanMoveToANewNumberWithARecoveryCodeWhenTheOldPhoneIsGone() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();
        var newNumber = TestUser.CreateUnique();
        var textsToOld = Site.MessagesTo(user.E164).Count;

        await stories.AccountPhone.GotoAsync();
        await stories.AccountPhone.NewPhone.FillAsync(newNumber.Phone);
        await stories.AccountPhone.CurrentPassword.FillAsync(user.Password);
        await stories.AccountPhone.LostCurrentPhone.CheckAsync();
        await stories.AccountPhone.SendCodesButton.ClickAsync();
        await Expect(stories.AccountPhone.FlashInfo).ToHaveTextAsync(AccountPhonePage.CodeSentForRecoveryApproval(newNumber.MaskedPhone));
        Assert.Equal(textsToOld, Site.MessagesTo(user.E164).Count);
        await Expect(stories.AccountPhone.CurrentPhoneCode).ToHaveCountAsync(0);

        await stories.AccountPhone.Code.FillAsync(stories.CodeSentTo(newNumber));
        await stories.AccountPhone.RecoveryCode.FillAsync(user.RecoveryCodes[2]);
        await stories.AccountPhone.ConfirmButton.ClickAsync();

        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountPage.PhoneChanged(newNumber.MaskedPhone));
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{newNumber.MaskedPhone} (confirmed)");
        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.PhoneChangedWithRecoveryCode);
    });
}
