using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/account/password (signed in only).</summary>
public sealed class AccountPasswordPage(IPage page) : PageObject(page)
{
    public const string Path = "/account/password";
    public const string WrongCurrentPassword = "The current password is not right.";

    public ILocator CurrentPassword => Field("Current password");
    public ILocator NewPassword => Field("New password");
    public ILocator ConfirmNewPassword => Field("Confirm new password");
    public ILocator ChangePasswordButton => Button("Change password");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    public async Task ChangeAsync(string currentPassword, string newPassword, string? confirm = null)
    {
        await CurrentPassword.FillAsync(currentPassword);
        await NewPassword.FillAsync(newPassword);
        await ConfirmNewPassword.FillAsync(confirm ?? newPassword);
        await ChangePasswordButton.ClickAsync();
    }
}
