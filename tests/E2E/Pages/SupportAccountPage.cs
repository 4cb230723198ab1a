using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/support/account/{id}: one account as an agent sees it, and the three actions, each with the agent's own
/// password.</summary>
public sealed class SupportAccountPage(IPage page) : PageObject(page)
{
    public const string PathPrefix = "/support/account/";
    public const string Unlocked = "The account is unlocked; its failure count is zero and any unlock code texted before no longer works.";
    public const string WrongPassword = "Your password is not right. Nothing was done.";

    /// <summary>The value shown beside a term of the summary ("Lock", "Failed attempts", "Mobile phone" ...).</summary>
    public ILocator Summary(string term) => Main.Locator($"xpath=//dl[@class='summary']/dt[normalize-space()='{term}']/following-sibling::dd[1]");

    public ILocator Password => Field("Your password");
    public ILocator UnlockButton => Button("Unlock");
    public ILocator ActivityRows => Main.Locator("table tbody tr");

    public async Task UnlockAsync(string agentPassword)
    {
        await Password.FillAsync(agentPassword);
        await UnlockButton.ClickAsync();
    }
}
