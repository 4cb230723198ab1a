using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/account/authenticator (signed in only): set up (password, then the QR code and key, then one code), replace
/// or remove the authenticator app.</summary>
public sealed class AccountAuthenticatorPage(IPage page) : PageObject(page)
{
    public const string Path = "/account/authenticator";
    public const string ScanNow = "Scan the QR code with your authenticator app (or type the key), then enter the code it shows.";
    public const string SetUp =
        "Your authenticator app is set up. At sign-in you can now enter a code from it instead of a texted code, and it can unlock your account or reset your password.";
    public const string Removed = "The authenticator app was removed. Its codes no longer work.";
    public const string WrongCurrentPassword = "The current password is not right.";
    public const string WrongConfirmationCode =
        "That is not the code your authenticator app shows for this key. Check the key and the phone's clock, then enter the code it shows now.";

    public ILocator CurrentPassword => Field("Current password");
    public ILocator StartButton => Button("Set up an authenticator app");
    public ILocator QrCode => Main.GetByRole(AriaRole.Img, new() { Name = "QR code of your authenticator key (the same key is written below)" });
    public ILocator Key => Main.Locator("#authenticator-key");
    public ILocator Code => Field("Code from the app");
    public ILocator ConfirmButton => Button("Confirm and turn on");
    public ILocator RemovePassword => Field("Current password, to remove the app");
    public ILocator RemoveButton => Button("Remove the authenticator app");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    public async Task StartAsync(string currentPassword)
    {
        await CurrentPassword.FillAsync(currentPassword);
        await StartButton.ClickAsync();
    }

    public async Task ConfirmAsync(string code)
    {
        await Code.FillAsync(code);
        await ConfirmButton.ClickAsync();
    }

    public async Task RemoveAsync(string currentPassword)
    {
        await RemovePassword.FillAsync(currentPassword);
        await RemoveButton.ClickAsync();
    }
}
