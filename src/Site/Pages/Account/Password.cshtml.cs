using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages.Account;

[Authorize]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class PasswordModel(TwoFactorUserManager users, TwoFactorSignInManager signIn) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        switch (await users.CheckPasswordWithLockoutAsync(me, Input.CurrentPassword))
        {
            case PasswordCheckResult.Wrong:
                ModelState.AddModelError("Input.CurrentPassword", "The current password is not right.");
                return Page();
            case PasswordCheckResult.LockedNow:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: true);
            case PasswordCheckResult.Locked:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: false);
        }
        var result = await users.SetNewPasswordAsync(me, Input.NewPassword);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError("Input.NewPassword", error.Description);
            }
            return Page();
        }
        // Every session was ended; this browser gets a new one.
        await signIn.RefreshSignInAsync(me);
        TempData.Info("Your password was changed. Every other browser was signed out.");
        return RedirectToPage("/Account/Index");
    }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your current password.")]
        [StringLength(1024)]
        [Display(Name = "Current password")]
        public string CurrentPassword { get; set; } = "";

        [Required(ErrorMessage = "Choose a new password.")]
        [StringLength(1024, ErrorMessage = "Passwords must be at most 128 characters.")]
        [Display(Name = "New password")]
        public string NewPassword { get; set; } = "";

        [Required(ErrorMessage = "Type the new password again.")]
        [Compare(nameof(NewPassword), ErrorMessage = "The two passwords do not match.")]
        [Display(Name = "Confirm new password")]
        public string ConfirmPassword { get; set; } = "";
    }
}
