using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/account/phone (signed in only). Step 1: the new number and the current password text a code to the new number
/// and, when the account has a confirmed number, an approval code to that current number. Step 2 (shown while a change
/// is pending): both codes make the new number the account's.</summary>
public sealed class AccountPhonePage(IPage page) : PageObject(page)
{
    public const string Path = "/account/phone";
    public const string WrongCurrentPassword = AccountPasswordPage.WrongCurrentPassword;

    /// <summary>A wrong code (either one) uses both up; the change starts again from step 1.</summary>
    public const string CodeRejected =
        "A code was not right, or has expired. Nothing was changed: enter the new number and your password again to get new codes.";

    /// <summary>Texted to the old number and to the new one once the change is made (whatever TwoFactor:Notices says).</summary>
    public const string ChangedNotice = "The mobile phone number of your account was just changed.";

    /// <summary>Step 1 done for an account with a confirmed number: two codes went out.</summary>
    public static string CodesSent(string newMasked, string currentMasked) =>
        $"We texted a 6-digit code to the new number {newMasked} and another to your current number {currentMasked}. Enter both to make the new number yours.";

    /// <summary>Step 1 done for an account without a confirmed number: only the new number is texted.</summary>
    public static string CodeSent(string masked) => $"We texted a 6-digit code to {masked}. Enter it to make it your number.";

    /// <summary>The whole text that asks the current number to approve the move.</summary>
    public static string ApprovalText(string code, string newMasked) =>
        $"{code} is your verification code to approve moving your account to the mobile number {newMasked}. " +
        "If this wasn't you, reset your password now. It expires in 60 minutes. Do not share it.";

    public static string CodeSentForRecoveryApproval(string newMasked) =>
        $"We texted a 6-digit code to the new number {newMasked}. Enter it and one of your recovery codes to make the new number yours.";

    public ILocator LostCurrentPhone => Field("I no longer have my current phone: approve the change with a recovery code");
    public ILocator RecoveryCode => Field("Recovery code");
    public ILocator NewPhone => Field("New mobile phone");
    public ILocator CurrentPassword => Field("Current password");
    public ILocator SendCodesButton => Button("Text the codes");

    public ILocator CodesHeading => Main.GetByRole(AriaRole.Heading, new() { Name = "Enter the codes", Level = 2 });
    public ILocator Code => Field("Code texted to the new number");
    public ILocator CurrentPhoneCode => Field("Code texted to your current number");
    public ILocator ConfirmButton => Button("Confirm the new number");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    /// <summary>Step 1: the new number (as a person types it) and the current password.</summary>
    public async Task SendCodesAsync(string phone, string currentPassword)
    {
        await NewPhone.FillAsync(phone);
        await CurrentPassword.FillAsync(currentPassword);
        await SendCodesButton.ClickAsync();
    }

    /// <summary>Step 2: the code texted to the new number and, when the form asks for it, the one texted to the current number.</summary>
    public async Task ConfirmAsync(string code, string? currentPhoneCode = null)
    {
        await Code.FillAsync(code);
        if (currentPhoneCode is not null)
        {
            await CurrentPhoneCode.FillAsync(currentPhoneCode);
        }

        await ConfirmButton.ClickAsync();
    }
}
