using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages.Account;

/// <summary>A new set of recovery codes, with the current password asked again (a wrong one counts toward the lock, as on
/// the other account pages): a stolen session alone cannot read a fresh set of ways in.</summary>
[Authorize]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class RecoveryCodesModel(TwoFactorUserManager users, TwoFactorSignInManager signIn, TimeProvider time) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public int Left { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        Left = await users.CountRecoveryCodesAsync(me);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        if (!ModelState.IsValid)
        {
            Left = await users.CountRecoveryCodesAsync(me);
            return Page();
        }
        switch (await users.CheckPasswordWithLockoutAsync(me, Input.CurrentPassword))
        {
            case PasswordCheckResult.Wrong:
                ModelState.AddModelError("Input.CurrentPassword", "The current password is not right.");
                Left = await users.CountRecoveryCodesAsync(me);
                return Page();
            case PasswordCheckResult.LockedNow:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: true);
            case PasswordCheckResult.Locked:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: false);
        }
        var codes = await users.GenerateRecoveryCodesAsync(me);
        IdentityTwoFactor.Pages.RecoveryCodesModel.Show(TempData, me.Email, codes, time.GetUtcNow());
        TempData.Info("Here is your new set of recovery codes. The old ones no longer work.");
        return RedirectToPage("/RecoveryCodes");
    }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your current password.")]
        [StringLength(1024)]
        [Display(Name = "Current password")]
        public string CurrentPassword { get; set; } = "";
    }
}
