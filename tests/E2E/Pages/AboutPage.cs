using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

public sealed class AboutPage(IPage page) : PageObject(page)
{
    public const string Path = "/about";

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);
}
