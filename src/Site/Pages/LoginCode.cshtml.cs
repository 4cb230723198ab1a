using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages;

/// <summary>The second step of sign-in for accounts that turned on a texted code at every sign-in.</summary>
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class LoginCodeModel(TwoFactorSignInManager signIn, TwoFactorUserManager users) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public async Task<IActionResult> OnGetAsync() =>
        await signIn.GetTwoFactorAuthenticationUserAsync() is null ? StartOver() : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return StartOver();
        }
        if (ModelState.GetValidationState("Input.Code") == Microsoft.AspNetCore.Mvc.ModelBinding.ModelValidationState.Invalid)
        {
            return Page();
        }
        var state = await users.GetCodeStateAsync(user, CodePurposes.SignIn);
        var result = await signIn.TwoFactorSignInAsync(SmsCodeTokenProvider.ProviderName, Input.Code!, isPersistent: false, rememberClient: Input.RememberBrowser);
        if (result.Succeeded)
        {
            return LocalRedirect("/");
        }
        if (result.IsLockedOut)
        {
            if (users.LastFailedAttempt == FailedAttemptOutcome.LockedNow)
            {
                await signIn.SignOutAsync();
                return await LoginModel.LockedNowAsync(users, user, TempData, HttpContext.RequestAborted);
            }
            TempData.Info(SmsMessages.StillLocked(Sms.PhoneMask.Mask(user.PhoneNumber)));
            TempData.RememberEmail(user.Email);
            return RedirectToPage("/Unlock");
        }
        TempData.Error(SmsMessages.CodeRejected(state));
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostResendAsync()
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return StartOver();
        }
        var sent = await users.SendCodeAsync(user, CodePurposes.SignIn, HttpContext.RequestAborted);
        if (sent.Sent)
        {
            TempData.Info($"We texted a new code to your mobile phone number {sent.MaskedPhone}.");
        }
        else
        {
            TempData.Error(SmsMessages.SendFailed(sent));
        }
        return RedirectToPage();
    }

    private RedirectToPageResult StartOver()
    {
        TempData.Info("Please log in.");
        return RedirectToPage("/Login");
    }

    public sealed class InputModel
    {
        [VerificationCode]
        [Display(Name = "Verification code")]
        public string? Code { get; set; }

        [Display(Name = "Remember this browser for 30 days")]
        public bool RememberBrowser { get; set; }
    }
}
