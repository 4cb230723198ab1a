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
    public LoginCodePage LoginCode { get; } = new(page);
    public AccountPage Account { get; } = new(page);
    public AccountPasswordPage AccountPassword { get; } = new(page);
    public AccountPhonePage AccountPhone { get; } = new(page);
    public AccountTwoFactorPage AccountTwoFactor { get; } = new(page);
    public RecoveryCodesPage RecoveryCodes { get; } = new(page);
    public AccountRecoveryCodesPage AccountRecoveryCodes { get; } = new(page);
    public SupportPage Support { get; } = new(page);
    public SupportAccountPage SupportAccount { get; } = new(page);
    public AccountAuthenticatorPage AccountAuthenticator { get; } = new(page);

    /// <summary>Signs up a fresh user, confirms the phone with the texted code, saves the recovery codes shown next
    /// (<see cref="TestUser.RecoveryCodes"/>), and lands on /login (the email prefilled).</summary>
    public async Task<TestUser> SignUpAsync(TestUser? user = null)
    {
        user ??= TestUser.CreateUnique();
        await Signup.GotoAsync();
        await Signup.SubmitAsync(user);
        await ConfirmPhone.ExpectPathAsync(ConfirmPhonePage.Path);
        await Expect(ConfirmPhone.FlashInfo).ToHaveTextAsync(ConfirmPhonePage.Created(user.MaskedPhone));
        await Expect(ConfirmPhone.Email).ToHaveValueAsync(user.Email);
        await ConfirmPhone.SubmitCodeAsync(CodeSentTo(user));
        return await SaveRecoveryCodesAsync(user);
    }

    /// <summary>Just after the phone was confirmed: /recovery-codes shows ten codes; "I have saved my recovery codes"
    /// leads to /login with the email prefilled. Returns the user with the codes.</summary>
    public async Task<TestUser> SaveRecoveryCodesAsync(TestUser user)
    {
        await RecoveryCodes.ExpectPathAsync(RecoveryCodesPage.Path);
        await Expect(RecoveryCodes.FlashInfo).ToHaveTextAsync(ConfirmPhonePage.Confirmed);
        await Expect(RecoveryCodes.CodeList.Locator("li")).ToHaveCountAsync(10);
        var codes = await RecoveryCodes.CodesAsync();
        Assert.All(codes, c => Assert.Matches("^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$", c));
        await RecoveryCodes.SavedLink.ClickAsync();
        await Login.ExpectPathAsync(LoginPage.Path);
        await Expect(Login.Email).ToHaveValueAsync(user.Email);
        return user with { RecoveryCodes = codes };
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

    /// <summary>Signs up a fresh user (phone confirmed) and logs in: the welcome page.</summary>
    public async Task<TestUser> SignUpAndLogInAsync(TestUser? user = null)
    {
        user = await SignUpAsync(user);
        await LogInAsync(user);
        return user;
    }

    /// <summary>A fresh user given the Support role the way an operator does (<c>--grant-support EMAIL</c>, through the
    /// same entry point), signed in, and on /support.</summary>
    public async Task<TestUser> BecomeSupportAgentAsync()
    {
        var agent = await SignUpAsync();
        using var output = new StringWriter();
        Assert.Equal(0, await IdentityTwoFactor.Identity.SupportRoleCommand.RunAsync(site.Factory.Services, ["--grant-support", agent.Email], output));
        await LogInAsync(agent);
        await Support.GotoAsync();
        await Expect(Support.Heading).ToHaveTextAsync("Support console");
        return agent;
    }

    /// <summary>On /support, finds <paramref name="user"/> and lands on the account's page.</summary>
    public async Task FindInSupportAsync(TestUser user)
    {
        await Support.FindAsync(user.Email);
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/support/account/[0-9a-f-]{36}$"));
        await Expect(SupportAccount.Heading).ToHaveTextAsync("Account " + user.Email);
        await Expect(SupportAccount.Summary("Mobile phone")).ToContainTextAsync(user.MaskedPhone);
    }

    /// <summary>Signed in: from the header's Account link to /account/two-factor, turns the texted code at every sign-in
    /// on, and lands on /account showing it on.</summary>
    public async Task TurnOnSignInCodeAsync(TestUser user, string? password = null)
    {
        await Account.GotoAsync();
        await Expect(Account.SignInCode).ToHaveTextAsync("Off");
        await Account.TurnOnSignInCodeLink.ClickAsync();
        await AccountTwoFactor.ExpectPathAsync(AccountTwoFactorPage.Path);
        await AccountTwoFactor.TurnOnAsync(password ?? user.Password);
        await Account.ExpectPathAsync(AccountPage.Path);
        await Expect(Account.FlashInfo).ToHaveTextAsync(AccountTwoFactorPage.TurnedOn);
        await Expect(Account.SignInCode).ToHaveTextAsync("On");
        await Expect(Account.TurnOffSignInCodeLink).ToBeVisibleAsync();
    }

    /// <summary>Signed in, with a confirmed number: step 1 of /account/phone with the password texts one code to the new
    /// number and one approval code to the current number, and step 2 asks for both. Returns (new number's code, approval code).</summary>
    public async Task<(string NewNumberCode, string ApprovalCode)> StartPhoneChangeAsync(TestUser user, TestUser newNumber)
    {
        var oldTexts = site.MessagesTo(user.E164).Count;
        var newTexts = site.MessagesTo(newNumber.E164).Count;
        await AccountPhone.GotoAsync();
        await AccountPhone.SendCodesAsync(newNumber.Phone, user.Password);
        await AccountPhone.ExpectPathAsync(AccountPhonePage.Path);
        await Expect(AccountPhone.FlashInfo).ToHaveTextAsync(AccountPhonePage.CodesSent(newNumber.MaskedPhone, user.MaskedPhone));
        await Expect(AccountPhone.Code).ToBeVisibleAsync();
        await Expect(AccountPhone.CurrentPhoneCode).ToBeVisibleAsync();
        Assert.Equal(oldTexts + 1, site.MessagesTo(user.E164).Count);
        Assert.Equal(newTexts + 1, site.MessagesTo(newNumber.E164).Count);
        var newNumberCode = CodeSentTo(newNumber);
        var approvalCode = CodeSentTo(user);
        Assert.Contains(" is your verification code to confirm this phone number.", site.MessagesTo(newNumber.E164)[^1].Text, StringComparison.Ordinal);
        Assert.Equal(AccountPhonePage.ApprovalText(approvalCode, newNumber.MaskedPhone), site.MessagesTo(user.E164)[^1].Text);
        return (newNumberCode, approvalCode);
    }

    /// <summary>Signed in: from /account, "Get new recovery codes" with the password lands on /recovery-codes showing a
    /// new set of ten; returns it.</summary>
    public async Task<IReadOnlyList<string>> GetNewRecoveryCodesAsync(TestUser user)
    {
        await Account.GotoAsync();
        await Account.NewRecoveryCodesLink.ClickAsync();
        await AccountRecoveryCodes.ExpectPathAsync(AccountRecoveryCodesPage.Path);
        await AccountRecoveryCodes.SubmitAsync(user.Password);
        await RecoveryCodes.ExpectPathAsync(RecoveryCodesPage.Path);
        await Expect(RecoveryCodes.FlashInfo).ToHaveTextAsync(AccountRecoveryCodesPage.Made);
        await Expect(RecoveryCodes.CodeList.Locator("li")).ToHaveCountAsync(10);
        return await RecoveryCodes.CodesAsync();
    }

    /// <summary>From the welcome page, signs out (lands on /login).</summary>
    /// <summary>Signed in: sets up the authenticator app as a person would, reading the key from the page (what typing
    /// it into an app does) and entering the code the app would show now. Lands on /account. Returns the key.</summary>
    public async Task<byte[]> SetUpAuthenticatorAsync(TestUser user)
    {
        await AccountAuthenticator.GotoAsync();
        await AccountAuthenticator.StartAsync(user.Password);
        await AccountAuthenticator.ExpectPathAsync(AccountAuthenticatorPage.Path);
        await Expect(AccountAuthenticator.FlashInfo).ToHaveTextAsync(AccountAuthenticatorPage.ScanNow);
        await Expect(AccountAuthenticator.QrCode).ToBeVisibleAsync();
        var key = IdentityTwoFactor.Tests.Support.Rfc6238.FromBase32(await AccountAuthenticator.Key.InnerTextAsync());
        Assert.Equal(20, key.Length);
        await AccountAuthenticator.ConfirmAsync(AppCode(key));
        await Account.ExpectPathAsync(AccountPage.Path);
        await Expect(Account.FlashInfo).ToHaveTextAsync(AccountAuthenticatorPage.SetUp);
        await Expect(Account.AuthenticatorApp).ToHaveTextAsync("Set up");
        return key;
    }

    /// <summary>The code an authenticator app with <paramref name="key"/> shows now, on the site's clock.</summary>
    public string AppCode(byte[] key) => IdentityTwoFactor.Tests.Support.Rfc6238.Code(key, site.Clock.GetUtcNow());

    /// <summary>The code the app showed <paramref name="steps"/> 30-second steps from now (negative: before).</summary>
    public string AppCode(byte[] key, int steps) =>
        IdentityTwoFactor.Tests.Support.Rfc6238.Code(key, site.Clock.GetUtcNow().AddSeconds(30 * steps));

    /// <summary>With an authenticator app: the right password leads to the app's form on /login/code, and nothing is
    /// texted.</summary>
    public async Task LogInUpToAppCodeAsync(TestUser user, string? password = null)
    {
        var textsBefore = site.MessagesTo(user.E164).Count;
        await Login.GotoAsync();
        await Login.LogInAsync(user.Email, password ?? user.Password);
        await LoginCode.ExpectPathAsync(LoginCodePage.AppPath);
        await Expect(LoginCode.FlashInfo).ToHaveTextAsync(LoginCodePage.EnterAppCode);
        Assert.Equal(textsBefore, site.MessagesTo(user.E164).Count);
    }

    public async Task SignOutAsync()
    {
        await Home.GotoAsync();
        await Home.SignOutAsync();
    }

    /// <summary>With the texted code at every sign-in on: the right password leads to /login/code, which says where the
    /// code went, and exactly one text arrived. Returns the texted code.</summary>
    public async Task<string> LogInUpToCodeAsync(TestUser user, string? password = null)
    {
        var textsBefore = site.MessagesTo(user.E164).Count;
        await Login.GotoAsync();
        await Login.LogInAsync(user.Email, password ?? user.Password);
        await LoginCode.ExpectPathAsync(LoginCodePage.Path);
        await Expect(LoginCode.FlashInfo).ToHaveTextAsync(LoginCodePage.Sent(user.MaskedPhone));
        await Expect(LoginCode.FlashError).ToHaveCountAsync(0);
        Assert.Equal(textsBefore + 1, site.MessagesTo(user.E164).Count);
        var code = CodeSentTo(user);
        Assert.Contains(" is your verification code to sign in.", site.MessagesTo(user.E164)[^1].Text, StringComparison.Ordinal);
        return code;
    }

    /// <summary>On /login/code, enters the right code and lands on the welcome page.</summary>
    public async Task EnterSignInCodeAsync(TestUser user, string code, bool rememberBrowser = false)
    {
        await LoginCode.SubmitCodeAsync(code, rememberBrowser);
        await Home.ExpectPathAsync(HomePage.Path);
        await Expect(Home.Heading).ToHaveTextAsync($"Welcome back, {user.FirstName}.");
    }

    /// <summary>On /login/code, enters a wrong code: back on /login/code with the invalid-code message.</summary>
    public async Task EnterWrongSignInCodeAsync(string wrongCode)
    {
        await LoginCode.SubmitCodeAsync(wrongCode);
        await LoginCode.ExpectPathAsync(LoginCodePage.Path);
        await Expect(LoginCode.FlashError).ToHaveTextAsync(LoginCodePage.InvalidCode);
    }

    /// <summary>Every 6-digit code texted to <paramref name="e164"/> so far.</summary>
    public IReadOnlyList<string> CodesSentTo(string e164) =>
        [.. site.MessagesTo(e164).Select(m => m.Text).Where(t => t.Length >= 6 && t[..6].All(char.IsAsciiDigit)).Select(t => t[..6])];

    /// <summary>A well-formed code that is none of <paramref name="codes"/>.</summary>
    public static string WrongCode(params string[] codes)
    {
        for (var candidate = 0; ; candidate += 111_111)
        {
            var code = (candidate % 1_000_000).ToString("000000", System.Globalization.CultureInfo.InvariantCulture);
            if (!codes.Contains(code))
            {
                return code;
            }
        }
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
