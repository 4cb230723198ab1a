using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

public sealed class ResetPasswordPage(IPage page) : PageObject(page)
{
    public const string Path = "/reset-password";
    public const string CodeStepPath = "/reset-password?step=code";
    public const string SentAnswer = "If an account exists for that email, a verification code was sent to its mobile phone.";

    public const string RecoveryCodeStepPath = "/reset-password?step=recovery-code";
    public const string ChangedWithRecoveryCode =
        "Password changed successfully. That recovery code is now used up. Please log in with your new password.";

    public ILocator UseRecoveryCodeLink => Main.GetByRole(AriaRole.Link, new() { Name = "Lost your phone? Use a recovery code", Exact = true });
    public ILocator RecoveryCode => Field("Recovery code");
    public const string AppStepPath = "/reset-password?step=app";
    public const string ChangedWithApp = "Password changed successfully. Please log in with your new password.";
    public ILocator UseAppLink => Main.GetByRole(AriaRole.Link, new() { Name = "Use my authenticator app", Exact = true });
    public ILocator AppCode => Field("Code from your authenticator app");
    public ILocator Email => Field("Email");
    public ILocator Code => Field("Verification code");
    public ILocator NewPassword => Field("New password");
    public ILocator ConfirmNewPassword => Field("Confirm new password");
    public ILocator SendCodeButton => Button("Send code");
    public ILocator ChangePasswordButton => Button("Change password");
    public ILocator ResendButton => Button("Resend code");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    public Task<IResponse> GotoCodeStepAsync() => GotoPathAsync(CodeStepPath);

    /// <summary>Step 1: asks for a code; the site answers on step 2.</summary>
    public async Task SendCodeAsync(string email)
    {
        await Email.FillAsync(email);
        await SendCodeButton.ClickAsync();
        await ExpectPathAsync(CodeStepPath);
    }

    /// <summary>Step 2: the email is typed only when given (after step 1 it is prefilled).</summary>
    public async Task ChangePasswordAsync(string code, string newPassword, string? email = null, string? confirm = null)
    {
        if (email is not null)
        {
            await Email.FillAsync(email);
        }

        await Code.FillAsync(code);
        await NewPassword.FillAsync(newPassword);
        await ConfirmNewPassword.FillAsync(confirm ?? newPassword);
        await ChangePasswordButton.ClickAsync();
    }

    /// <summary>The recovery-code form: email, code and the new password twice.</summary>
    public async Task ChangePasswordWithRecoveryCodeAsync(string email, string recoveryCode, string newPassword)
    {
        await Email.FillAsync(email);
        await RecoveryCode.FillAsync(recoveryCode);
        await NewPassword.FillAsync(newPassword);
        await ConfirmNewPassword.FillAsync(newPassword);
        await ChangePasswordButton.ClickAsync();
    }

    /// <summary>The app's form: email, the new password twice, then the app's code (it changes every 30 seconds).</summary>
    public async Task ChangePasswordWithAppAsync(string email, string newPassword, Func<string> codeNow)
    {
        await Email.FillAsync(email);
        await NewPassword.FillAsync(newPassword);
        await ConfirmNewPassword.FillAsync(newPassword);
        await AppCode.FillAsync(codeNow());
        await ChangePasswordButton.ClickAsync();
    }
}
