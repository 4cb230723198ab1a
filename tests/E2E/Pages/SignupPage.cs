using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

public sealed class SignupPage(IPage page) : PageObject(page)
{
    public const string Path = "/signup";

    public ILocator Email => Field("Email");
    public ILocator Password => Field("Password");
    public ILocator ConfirmPassword => Field("Confirm password");
    public ILocator Phone => Field("Mobile phone");
    public ILocator FirstName => Field("First name");
    public ILocator LastName => Field("Last name");
    public ILocator SignUpButton => Button("Sign up");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    /// <summary>Fills every field from <paramref name="user"/> (confirmation = password unless given) without submitting.</summary>
    public async Task FillAsync(TestUser user, string? confirmPassword = null)
    {
        await Email.FillAsync(user.Email);
        await Password.FillAsync(user.Password);
        await ConfirmPassword.FillAsync(confirmPassword ?? user.Password);
        await Phone.FillAsync(user.Phone);
        await FirstName.FillAsync(user.FirstName);
        await LastName.FillAsync(user.LastName);
    }

    public async Task SubmitAsync(TestUser user, string? confirmPassword = null)
    {
        await FillAsync(user, confirmPassword);
        await SignUpButton.ClickAsync();
    }
}
