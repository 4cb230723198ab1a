using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

public sealed class UnlockPage(IPage page) : PageObject(page)
{
    public const string Path = "/unlock";
    public const string InvalidCode = "Invalid verification code. Click resend to get a new verification code.";
    public const string ExpiredCode = "Verification code expired. Click resend to get a new verification code.";
    public const string ResendAnswer = "If that account is locked, a new verification code was sent to its mobile phone.";

    public static string Locked(string masked) =>
        $"Your account is temporarily locked. A verification code was sent to your mobile phone number {masked}. Please enter the verification code to unlock your account.";

    public static string StillLocked(string masked) =>
        $"Your account is temporarily locked. Enter the verification code sent to your mobile phone number {masked}, or click Resend code to get a new one.";

    public const string WithRecoveryCodePath = "/unlock?with=recovery-code";
    public const string UnlockedWithRecoveryCode = "Your account is unlocked. That recovery code is now used up. Please log in.";
    public const string WrongRecoveryCode =
        "That recovery code is not right, or was already used. Each code works once; check it and try another of your codes.";

    public const string WithAppPath = "/unlock?with=app";
    public const string UnlockedWithApp = "Your account is unlocked. Please log in.";
    public const string WrongAppCode =
        "That code from your authenticator app is not right, or was already used. Each code works once; enter the code the app shows now.";

    public ILocator UseAppLink => Main.GetByRole(AriaRole.Link, new() { Name = "Use my authenticator app", Exact = true });
    public ILocator AppCode => Field("Code from your authenticator app");
    public ILocator UnlockWithAppButton => Button("Unlock with the app");
    public ILocator Email => Field("Email");
    public ILocator RecoveryCode => Field("Recovery code");
    public ILocator UseRecoveryCodeLink => Main.GetByRole(AriaRole.Link, new() { Name = "Lost your phone? Use a recovery code", Exact = true });
    public ILocator UseTextedCodeLink => Main.GetByRole(AriaRole.Link, new() { Name = "Use the code texted to your phone instead", Exact = true });
    public ILocator UnlockWithRecoveryCodeButton => Button("Unlock with a recovery code");
    public ILocator Code => Field("Verification code");
    public ILocator UnlockButton => Button("Unlock");
    public ILocator ResendButton => Button("Resend code");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    /// <summary>Submits <paramref name="code"/>; the email is typed only when given (after a lock it is prefilled).</summary>
    public async Task SubmitCodeAsync(string code, string? email = null)
    {
        if (email is not null)
        {
            await Email.FillAsync(email);
        }

        await Code.FillAsync(code);
        await UnlockButton.ClickAsync();
    }

    /// <summary>On the recovery-code form, submits <paramref name="code"/>; the email is typed only when given.</summary>
    public async Task SubmitRecoveryCodeAsync(string code, string? email = null)
    {
        if (email is not null)
        {
            await Email.FillAsync(email);
        }

        await RecoveryCode.FillAsync(code);
        await UnlockWithRecoveryCodeButton.ClickAsync();
    }

    /// <summary>On the app's form, submits the app's code; the email is typed only when given.</summary>
    public async Task SubmitAppCodeAsync(string code, string? email = null)
    {
        if (email is not null)
        {
            await Email.FillAsync(email);
        }

        await AppCode.FillAsync(code);
        await UnlockWithAppButton.ClickAsync();
    }

    public async Task ResendAsync(string? email = null)
    {
        if (email is not null)
        {
            await Email.FillAsync(email);
        }

        await ResendButton.ClickAsync();
    }
}
