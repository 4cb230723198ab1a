using IdentityTwoFactor.Tests.E2E.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>The steps a person takes, chained from the page objects; each step checks where it lands.</summary>
public sealed class UserStories(IPage page, SiteFixture site)
{
    public const string WrongPassword = "not my password at all";

    public IPage Page { get; } = page;
    public HomePage Home { get; } = new(page);
    public SignupPage Signup { get; } = new(page);
    public LoginPage Login { get; } = new(page);
    public UnlockPage Unlock { get; } = new(page);
    public ResetPasswordPage Reset { get; } = new(page);
    public AboutPage About { get; } = new(page);
    public ConfirmPhonePage ConfirmPhone { get; } = new(page);

    /// <summary>Signs up a fresh user, confirms the phone with the texted code, and lands on /login (the email prefilled).</summary>
    public async Task<TestUser> SignUpAsync(TestUser? user = null)
    {
        user ??= TestUser.CreateUnique();
        await Signup.GotoAsync();
        await Signup.SubmitAsync(user);
        await ConfirmPhone.ExpectPathAsync(ConfirmPhonePage.Path);
        await Expect(ConfirmPhone.FlashInfo).ToHaveTextAsync(ConfirmPhonePage.Created(user.MaskedPhone));
        await Expect(ConfirmPhone.Email).ToHaveValueAsync(user.Email);
        await ConfirmPhone.SubmitCodeAsync(CodeSentTo(user));
        await Login.ExpectPathAsync(LoginPage.Path);
        await Expect(Login.FlashInfo).ToHaveTextAsync(ConfirmPhonePage.Confirmed);
        return user;
    }

    /// <summary>Logs in from /login and lands on the welcome page.</summary>
    public async Task LogInAsync(TestUser user, string? password = null)
    {
        await Login.GotoAsync();
        await Login.LogInAsync(user.Email, password ?? user.Password);
        await Home.ExpectPathAsync(HomePage.Path);
        await Expect(Home.Heading).ToHaveTextAsync($"Welcome back, {user.FirstName}.");
    }

    /// <summary>One wrong password that does not lock: back on /login with the wrong-login message.</summary>
    public async Task FailLogInAsync(TestUser user, string password = WrongPassword)
    {
        await Login.GotoAsync();
        await Login.LogInAsync(user.Email, password);
        await Login.ExpectPathAsync(LoginPage.Path);
        await Expect(Login.FlashError).ToHaveTextAsync(LoginPage.WrongLogin);
    }

    /// <summary>Three wrong passwords (counting <paramref name="failedSoFar"/> already made): the third lands on /unlock
    /// with the lock notice. Returns the texted code.</summary>
    public async Task<string> LockAsync(TestUser user, int failedSoFar = 0)
    {
        var textsBefore = site.MessagesTo(user.E164).Count;
        for (var i = failedSoFar; i < 2; i++)
        {
            await FailLogInAsync(user);
        }

        await Login.GotoAsync();
        await Login.LogInAsync(user.Email, WrongPassword);
        await Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(Unlock.FlashInfo).ToHaveTextAsync(UnlockPage.Locked(user.MaskedPhone));
        await Expect(Unlock.Email).ToHaveValueAsync(user.Email);
        Assert.Equal(textsBefore + 1, site.MessagesTo(user.E164).Count);
        return CodeSentTo(user);
    }

    /// <summary>On /unlock, submits <paramref name="code"/> and lands on /login with the unlocked notice.</summary>
    public async Task UnlockAsync(TestUser user, string code)
    {
        await Unlock.SubmitCodeAsync(code, user.Email);
        await Login.ExpectPathAsync(LoginPage.Path);
        await Expect(Login.FlashInfo).ToHaveTextAsync(LoginPage.Unlocked);
    }

    /// <summary>On /unlock, asks for a new code; returns it (a new text must have arrived).</summary>
    public async Task<string> ResendUnlockCodeAsync(TestUser user)
    {
        var textsBefore = site.MessagesTo(user.E164).Count;
        await Unlock.ResendAsync(user.Email);
        await Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(Unlock.FlashInfo).ToHaveTextAsync(UnlockPage.ResendAnswer);
        Assert.Equal(textsBefore + 1, site.MessagesTo(user.E164).Count);
        return CodeSentTo(user);
    }

    /// <summary>Step 1 of the reset; returns the texted code.</summary>
    public async Task<string> RequestResetCodeAsync(TestUser user)
    {
        var textsBefore = site.MessagesTo(user.E164).Count;
        await Reset.GotoAsync();
        await Reset.SendCodeAsync(user.Email);
        await Expect(Reset.FlashInfo).ToHaveTextAsync(ResetPasswordPage.SentAnswer);
        Assert.Equal(textsBefore + 1, site.MessagesTo(user.E164).Count);
        return CodeSentTo(user);
    }

    /// <summary>The 6-digit code at the start of the last text to the user's phone.</summary>
    public string CodeSentTo(TestUser user)
    {
        var texts = site.MessagesTo(user.E164);
        var text = texts.Count > 0 ? texts[^1].Text : null;
        Assert.NotNull(text);
        Assert.Matches("^[0-9]{6} ", text);
        var code = site.LastCodeSentTo(user.E164);
        Assert.NotNull(code);
        Assert.StartsWith(code, text, StringComparison.Ordinal);
        return code;
    }
}
