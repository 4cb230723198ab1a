using IdentityTwoFactor.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityTwoFactor.Pages.Account;

/// <summary>
/// Where an account page goes when a wrong current password or code locked the account (or it already was): this
/// browser is signed out (a stolen session that guessed is thrown out with its guesses), the attempt that locked texts
/// the unlock code, and the way back in is /unlock, as after wrong passwords at /login.
/// </summary>
public static class SignedInLockout
{
    public static async Task<IActionResult> LeaveAsync(PageModel page, TwoFactorSignInManager signIn, TwoFactorUserManager users,
        TwoFactorUser me, bool lockedByThisAttempt)
    {
        await signIn.SignOutAsync();
        if (lockedByThisAttempt)
        {
            return await LoginModel.LockedNowAsync(users, me, page.TempData, page.HttpContext.RequestAborted);
        }
        page.TempData.Info(SmsMessages.StillLocked(Sms.PhoneMask.Mask(me.PhoneNumber)));
        page.TempData.RememberEmail(me.Email);
        return page.RedirectToPage("/Unlock");
    }
}
