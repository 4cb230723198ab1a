using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages.Account;

/// <summary>Turns the texted code at every sign-in on or off; needs the current password and a confirmed phone.</summary>
[Authorize]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class TwoFactorModel(TwoFactorUserManager users, TwoFactorSignInManager signIn) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public TwoFactorUser Me { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        Me = me;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        Me = me;
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
        var turnOn = !me.TwoFactorEnabled;
        if (turnOn && !me.PhoneNumberConfirmed)
        {
            ModelState.AddModelError("", "Confirm your mobile phone number first.");
            return Page();
        }
        await users.SetTwoFactorEnabledAsync(me, turnOn);
        await signIn.RefreshSignInAsync(me);
        TempData.Info(turnOn
            ? "A texted code will now be asked at every sign-in (except in browsers you chose to remember)."
            : "The texted code at sign-in is off.");
        return RedirectToPage("/Account/Index");
    }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your current password.")]
        [StringLength(1024)]
        [Display(Name = "Current password")]
        public string CurrentPassword { get; set; } = "";
    }
}
