using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages.Account;

/// <summary>The signed-in user's account: name, masked phone, second factor, and security activity (newest first, paged).</summary>
[Authorize]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class IndexModel(TwoFactorUserManager users, TwoFactorSignInManager signIn, ISecurityEventLog events) : PageModel
{
    public const int PageSize = 20;

    public TwoFactorUser Me { get; private set; } = null!;
    public IReadOnlyList<SecurityEvent> Events { get; private set; } = [];
    public int PageNumber { get; private set; } = 1;
    public bool HasOlder { get; private set; }

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
        return Page();
    }

    /// <summary>A new security stamp ends every other session at its next request; this browser gets a fresh cookie.</summary>
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
