using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Story 12: a new account confirms its mobile phone with a texted code before it can sign in.</summary>
public sealed class ConfirmPhoneTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    [Fact]
    public Task SignupAsksForThePhoneCodeAndOnlyTheLatestCodeConfirms() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = TestUser.CreateUnique();

        // Signing up texts a code and asks for it.
        await stories.Signup.GotoAsync();
        await stories.Signup.SubmitAsync(user);
        await stories.ConfirmPhone.ExpectPathAsync(ConfirmPhonePage.Path);
        await Expect(stories.ConfirmPhone.FlashInfo).ToHaveTextAsync(ConfirmPhonePage.Created(user.MaskedPhone));
        await Expect(stories.ConfirmPhone.Email).ToHaveValueAsync(user.Email);
        Assert.Single(Site.MessagesTo(user.E164));
        var signupCode = stories.CodeSentTo(user);
        Assert.Contains(" is your verification code to confirm this phone number.", Site.MessagesTo(user.E164)[^1].Text, StringComparison.Ordinal);

        // The right password before confirming does not sign in: back to /confirm-phone, with a new code texted.
        await stories.Login.GotoAsync();
        await stories.Login.LogInAsync(user.Email, user.Password);
        await stories.ConfirmPhone.ExpectPathAsync(ConfirmPhonePage.Path);
        await Expect(stories.ConfirmPhone.FlashInfo).ToHaveTextAsync(ConfirmPhonePage.PleaseConfirm(user.MaskedPhone));
        await Expect(stories.ConfirmPhone.Email).ToHaveValueAsync(user.Email);
        await Expect(stories.ConfirmPhone.NavLink("Account")).ToHaveCountAsync(0);
        await Expect(stories.ConfirmPhone.NavLink("Log in")).ToBeVisibleAsync();
        Assert.Equal(2, Site.MessagesTo(user.E164).Count);
        var loginCode = stories.CodeSentTo(user);

        // The code texted at signup was replaced by the new one: it is a wrong code now. (Should both texts carry the
        // same 6 digits, by a one-in-a-million chance, type a code that is neither.)
        var wrongCode = signupCode != loginCode ? signupCode : UserStories.WrongCode(signupCode);
        await stories.ConfirmPhone.SubmitCodeAsync(wrongCode);
        await stories.ConfirmPhone.ExpectPathAsync(ConfirmPhonePage.Path);
        await Expect(stories.ConfirmPhone.FlashError).ToHaveTextAsync(ConfirmPhonePage.InvalidCode);
        await Expect(stories.ConfirmPhone.Email).ToHaveValueAsync(user.Email);

        // The wrong guess burnt the live code; "Resend code" texts the latest one, which confirms.
        await stories.ConfirmPhone.ResendButton.ClickAsync();
        await stories.ConfirmPhone.ExpectPathAsync(ConfirmPhonePage.Path);
        await Expect(stories.ConfirmPhone.FlashInfo).ToHaveTextAsync(ConfirmPhonePage.ResendAnswer);
        Assert.Equal(3, Site.MessagesTo(user.E164).Count);
        var latestCode = stories.CodeSentTo(user);

        await stories.ConfirmPhone.SubmitCodeAsync(latestCode);
        await stories.SaveRecoveryCodesAsync(user);

        // Now the password signs in, and nothing more is texted.
        await stories.LogInAsync(user);
        Assert.Equal(3, Site.MessagesTo(user.E164).Count);
        await stories.Home.NavLink("Account").ClickAsync();
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{user.MaskedPhone} (confirmed)");
    });
}
