using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/account/recovery-codes (signed in only): how many are left, and a new set for the current password.</summary>
public sealed class AccountRecoveryCodesPage(IPage page) : PageObject(page)
{
    public const string Path = "/account/recovery-codes";
    public const string Made = "Here is your new set of recovery codes. The old ones no longer work.";

    public ILocator CurrentPassword => Field("Current password");
    public ILocator GetNewButton => Button("Get new recovery codes");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    public async Task SubmitAsync(string currentPassword)
    {
        await CurrentPassword.FillAsync(currentPassword);
        await GetNewButton.ClickAsync();
    }
}
