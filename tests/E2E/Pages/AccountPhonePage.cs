using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/account/phone (signed in only): text a code to a new number, then enter it to make it the account's number.</summary>
public sealed class AccountPhonePage(IPage page) : PageObject(page)
{
    public const string Path = "/account/phone";
    public const string InvalidCode = UnlockPage.InvalidCode;

    public static string CodeSent(string masked) => $"We texted a 6-digit code to {masked}. Enter it to make it your number.";

    public ILocator NewPhone => Field("New mobile phone");
    public ILocator SendCodeButton => Button("Text a code to the new number");
    public ILocator Code => Field("Code texted to the new number");
    public ILocator ConfirmButton => Button("Confirm the new number");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    /// <summary>Step 1: texts a code to <paramref name="phone"/> (as a person types it).</summary>
    public async Task SendCodeAsync(string phone)
    {
        await NewPhone.FillAsync(phone);
        await SendCodeButton.ClickAsync();
    }

    /// <summary>Step 2 (the form appears once a code was texted).</summary>
    public async Task ConfirmAsync(string code)
    {
        await Code.FillAsync(code);
        await ConfirmButton.ClickAsync();
    }
}
