using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages.Support;

/// <summary>The support console's search: one account by its exact email. The search is a POST that redirects to the
/// account's page by its id, so an email never sits in a URL (and in access logs). Saying whether an email exists is
/// fine here: only agents reach this page.</summary>
[Authorize(Policy = SupportAccess.Policy)]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class IndexModel(TwoFactorUserManager users) : PageModel
{
    public const string NoAccount = "No account with that email.";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }
        // FindByEmailAsync normalizes the email as signup stored it: the exact address, whatever its letter case.
        if (await users.FindByEmailAsync(Input.Email.Trim()) is not { } user)
        {
            ModelState.AddModelError("Input.Email", NoAccount);
            return Page();
        }
        return RedirectToPage("/Support/Account", new { id = user.Id });
    }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter the email of the account.")]
        [StringLength(256, ErrorMessage = "An email has at most 256 characters.")]
        [Display(Name = "Email of the account")]
        public string Email { get; set; } = "";
    }
}
