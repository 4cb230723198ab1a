using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages;

/// <summary>Sign-out is a POST (with an antiforgery token): a link or an image cannot sign anyone out.</summary>
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class LogoutModel(TwoFactorSignInManager signIn) : PageModel
{
    public IActionResult OnGet() => RedirectToPage("/Index");

    public async Task<IActionResult> OnPostAsync()
    {
        await signIn.SignOutAsync();
        TempData.Info("You are signed out.");
        return RedirectToPage("/Login");
    }
}
