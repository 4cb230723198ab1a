using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>What every page of the site has: the main region and the flash messages of the layout.</summary>
public abstract class PageObject(IPage page)
{
    public IPage Page { get; } = page;

    /// <summary>The page's own content (the header nav has links and a Sign out button of its own).</summary>
    public ILocator Main => Page.Locator("main");

    public ILocator Heading => Main.GetByRole(AriaRole.Heading, new() { Level = 1 });

    /// <summary><c>p.flash-info</c> (role=status): confirmations and the lock notice.</summary>
    public ILocator FlashInfo => Page.Locator("p.flash-info");

    /// <summary><c>p.flash-error</c> (role=alert): failed logins, bad codes, SMS failures.</summary>
    public ILocator FlashError => Page.Locator("p.flash-error");

    /// <summary>The validation summary (<c>div[role=alert]</c> in the form).</summary>
    public ILocator ValidationSummary => Main.Locator("form div[role=alert]");

    /// <summary>The header's main navigation ("Home", "Account", "Log in", "Sign up", "About" ...).</summary>
    public ILocator MainNav => Page.GetByRole(AriaRole.Navigation, new() { Name = "Main", Exact = true });

    /// <summary>A link of the header's main navigation, by its exact text.</summary>
    public ILocator NavLink(string name) => MainNav.GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    /// <summary>An input found by its label's exact text, the way a person (or a screen reader) finds it.</summary>
    protected ILocator Field(string label) => Page.GetByLabel(label, new() { Exact = true });

    protected ILocator Button(string name) => Main.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    /// <summary>The server-rendered message next to a field: <c>span#Input_X-error</c>.</summary>
    public ILocator ErrorFor(string property) => Page.Locator($"#Input_{property}-error");

    /// <summary>Waits until the browser shows <paramref name="path"/> (exactly; query string included when given).</summary>
    public Task ExpectPathAsync(string path) =>
        Assertions.Expect(Page).ToHaveURLAsync(new Regex("^https?://[^/]+" + Regex.Escape(path) + "$"));

    protected async Task<IResponse> GotoPathAsync(string path)
    {
        var response = await Page.GotoAsync(path) ?? throw new InvalidOperationException($"No response for {path}.");
        Assert.Equal(200, response.Status);
        return response;
    }
}
