using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

public sealed class ConfirmPhonePage(IPage page) : PageObject(page)
{
    public const string Path = "/confirm-phone";

    public static string Created(string masked) =>
        $"Congratulations! Your account was created. Please confirm your mobile phone number: we texted a 6-digit code to {masked}.";

    public static string PleaseConfirm(string masked) =>
        $"Please confirm your mobile phone number: we texted a 6-digit code to {masked}.";

    public const string Confirmed = "Your mobile phone number is confirmed. Save your recovery codes, then log in.";
    public const string ResendAnswer = "If that account's mobile phone number is not confirmed yet, a new code was texted to it.";
    public const string InvalidCode = UnlockPage.InvalidCode;

    public ILocator Email => Field("Email");
    public ILocator Code => Field("Verification code");
    public ILocator ConfirmButton => Button("Confirm");
    public ILocator ResendButton => Button("Resend code");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    public async Task SubmitCodeAsync(string code)
    {
        await Code.FillAsync(code);
        await ConfirmButton.ClickAsync();
    }
}
