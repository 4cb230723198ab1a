using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/login/code: the second step of sign-in for accounts with the texted code at every sign-in turned on.</summary>
public sealed class LoginCodePage(IPage page) : PageObject(page)
{
    public const string Path = "/login/code";
    public const string InvalidCode = UnlockPage.InvalidCode;

    public static string Sent(string masked) =>
        $"We texted a 6-digit code to your mobile phone number {masked}. Enter it to sign in.";

    public static string Resent(string masked) => $"We texted a new code to your mobile phone number {masked}.";

    public const string AppPath = "/login/code?with=app";
    public const string EnterAppCode = "Enter the code from your authenticator app to sign in.";
    public const string WrongAppCode = UnlockPage.WrongAppCode;

    public ILocator Code => Field("Verification code");
    public ILocator AppCode => Field("Code from your authenticator app");
    public ILocator UseAppLink => Main.GetByRole(AriaRole.Link, new() { Name = "Use the code from your authenticator app instead", Exact = true });
    public ILocator TextMeACodeButton => Button("Text me a code instead");
    public ILocator UseRecoveryCodeLink => Main.GetByRole(AriaRole.Link, new() { Name = "Use a recovery code instead", Exact = true });
    public ILocator RecoveryCode => Field("Recovery code");
    public ILocator SignInWithRecoveryCodeButton => Button("Sign in with a recovery code");
    public ILocator RememberBrowser => Field("Remember this browser for 30 days");
    public ILocator SignInButton => Button("Sign in");
    public ILocator ResendButton => Button("Resend code");

    /// <summary>On the app's form: types the app's code and submits.</summary>
    public async Task SubmitAppCodeAsync(string code)
    {
        await AppCode.FillAsync(code);
        await SignInButton.ClickAsync();
    }

    /// <summary>Types <paramref name="code"/>, ticks "Remember this browser" when asked, and submits.</summary>
    public async Task SubmitCodeAsync(string code, bool rememberBrowser = false)
    {
        await Code.FillAsync(code);
        await RememberBrowser.SetCheckedAsync(rememberBrowser);
        await SignInButton.ClickAsync();
    }
}
