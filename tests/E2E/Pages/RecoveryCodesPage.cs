using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/recovery-codes: "Save your recovery codes", the set just made, shown once.</summary>
public sealed class RecoveryCodesPage(IPage page) : PageObject(page)
{
    public const string Path = "/recovery-codes";
    public const string NoneToShow = "There are no new recovery codes to show. Recovery codes are shown only once, right after they are made.";

    /// <summary>The list of codes (an ordered list named "Your recovery codes").</summary>
    public ILocator CodeList => Main.GetByRole(AriaRole.List, new() { Name = "Your recovery codes", Exact = true });

    public ILocator DownloadButton => Button("Download as text");

    /// <summary>"I have saved my recovery codes: log in" (signed out) or "...: go to your account" (signed in).</summary>
    public ILocator SavedLink => Main.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^I have saved my recovery codes") });

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);

    /// <summary>The codes as the page shows them (XXXXX-XXXXX).</summary>
    public async Task<IReadOnlyList<string>> CodesAsync() => [.. await CodeList.Locator("code").AllInnerTextsAsync()];
}
