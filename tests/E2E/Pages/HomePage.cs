using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

public sealed class HomePage(IPage page) : PageObject(page)
{
    public const string Path = "/";

    public ILocator LogInLink => Main.GetByRole(AriaRole.Link, new() { Name = "Log in", Exact = true });
    public ILocator SignUpLink => Main.GetByRole(AriaRole.Link, new() { Name = "Sign up", Exact = true });
    public ILocator SignOutButton => Button("Sign out");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    public const string SignedOut = "You are signed out.";

    /// <summary>Clicks the page's own Sign out button (a POST to /logout), which lands on /login.</summary>
    public async Task SignOutAsync()
    {
        await SignOutButton.ClickAsync();
        await ExpectPathAsync(LoginPage.Path);
        await Assertions.Expect(FlashInfo).ToHaveTextAsync(SignedOut);
    }
}
