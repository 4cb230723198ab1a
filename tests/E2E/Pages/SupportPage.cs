using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/support (support agents only; 404 for anyone else): find an account by its exact email.</summary>
public sealed class SupportPage(IPage page) : PageObject(page)
{
    public const string Path = "/support";
    public const string NoAccount = "No account with that email.";

    public ILocator Email => Field("Email of the account");
    public ILocator FindButton => Button("Find the account");

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    public async Task FindAsync(string email)
    {
        await Email.FillAsync(email);
        await FindButton.ClickAsync();
    }
}
