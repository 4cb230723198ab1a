using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/account/two-factor (signed in only): turns the texted code at every sign-in on or off.</summary>
public sealed class AccountTwoFactorPage(IPage page) : PageObject(page)
{
    public const string Path = "/account/two-factor";
    public const string TurnedOn = "A texted code will now be asked at every sign-in (except in browsers you chose to remember).";
    public const string TurnedOff = "The texted code at sign-in is off.";
    public const string WrongCurrentPassword = AccountPasswordPage.WrongCurrentPassword;

    public ILocator CurrentPassword => Field("Current password");
    public ILocator TurnOnButton => Button("Turn on");
    public ILocator TurnOffButton => Button("Turn off");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    public async Task TurnOnAsync(string currentPassword)
    {
        await CurrentPassword.FillAsync(currentPassword);
        await TurnOnButton.ClickAsync();
    }

    public async Task TurnOffAsync(string currentPassword)
    {
        await CurrentPassword.FillAsync(currentPassword);
        await TurnOffButton.ClickAsync();
    }
}
