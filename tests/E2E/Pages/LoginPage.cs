using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

public sealed class LoginPage(IPage page) : PageObject(page)
{
    public const string Path = "/login";
    public const string WrongLogin = "Wrong user name and password combination. Please try again.";
    public const string Unlocked = "Your account is unlocked. Please log in.";
    public const string PleaseLogin = "Please login.";
    public const string PasswordChanged = "Password changed successfully. Please log in with your new password.";

    public ILocator Email => Field("Email");
    public ILocator Password => Field("Password");
    public ILocator LogInButton => Button("Log in");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    /// <summary>Fills and submits the form (the page may already show it after a redirect).</summary>
    public async Task LogInAsync(string email, string password)
    {
        await Email.FillAsync(email);
        await Password.FillAsync(password);
        await LogInButton.ClickAsync();
    }
}
