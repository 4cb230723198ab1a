using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Identity.Sessions;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages.Account;

/// <summary>The signed-in user's account: name, masked phone, second factor, the browsers signed in (each can be signed
/// out), and security activity (newest first, paged).</summary>
[Authorize]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class IndexModel(TwoFactorUserManager users, TwoFactorSignInManager signIn, ISecurityEventLog events) : PageModel
{
    public const int PageSize = 20;

    public TwoFactorUser Me { get; private set; } = null!;
    public IReadOnlyList<SecurityEvent> Events { get; private set; } = [];
    public int PageNumber { get; private set; } = 1;
    public bool HasOlder { get; private set; }
    public IReadOnlyList<UserSession> Sessions { get; private set; } = [];
    public int RecoveryCodesLeft { get; private set; }
    public bool HasApp { get; private set; }

    /// <summary>Agents find the console from here; nobody else is told it exists.</summary>
    public bool IsSupportAgent { get; private set; }

    /// <summary>The session this page was requested with.</summary>
    public string? CurrentSessionId => SessionIds.Current(HttpContext);

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "page")] int? page)
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        Me = me;
        PageNumber = page is > 0 and < 100_000 ? page.Value : 1;
        Events = await events.ListAsync(me.Id, PageNumber, PageSize, HttpContext.RequestAborted);
        HasOlder = await events.CountAsync(me.Id, HttpContext.RequestAborted) > PageNumber * PageSize;
        Sessions = await users.ListSessionsAsync(me);
        RecoveryCodesLeft = await users.CountRecoveryCodesAsync(me);
        IsSupportAgent = await users.IsSupportAgentAsync(me);
        HasApp = await users.HasAuthenticatorAsync(me);
        return Page();
    }

    /// <summary>Signs one browser out at once. Signing out this very browser leads to the login page.</summary>
    public async Task<IActionResult> OnPostSignOutSessionAsync([FromForm] string? sessionId)
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        if (string.IsNullOrEmpty(sessionId) || sessionId.Length > 64 || !await users.EndSessionAsync(me, sessionId))
        {
            TempData.Error("That browser was already signed out.");
            return RedirectToPage();
        }
        if (sessionId == CurrentSessionId)
        {
            await signIn.SignOutAsync();
            TempData.Info("You are signed out.");
            return RedirectToPage("/Login");
        }
        TempData.Info("That browser was signed out.");
        return RedirectToPage();
    }

    /// <summary>Ends every session at once (and changes the security stamp); this browser gets a new one.</summary>
    public async Task<IActionResult> OnPostSignOutElsewhereAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        await users.SignOutEverywhereElseAsync(me);
        await signIn.RefreshSignInAsync(me);
        TempData.Info("Every other browser was signed out.");
        return RedirectToPage();
    }
}
