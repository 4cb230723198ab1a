using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages;

/// <summary>Confirms the mobile number given at signup with a texted code (TwoFactor:RequireConfirmedPhone).</summary>
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class ConfirmPhoneModel(TwoFactorUserManager users, TimeProvider time) : PageModel
{
    public const string ResendAnswer = "If that account's mobile phone number is not confirmed yet, a new code was texted to it.";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public void OnGet()
    {
        Input.Email = this.RememberedEmail() ?? "";
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }
        TempData.RememberEmail(Input.Email);
        // One answer for every failure (unknown email, confirmed number, wrong, used or expired code): anyone can have
        // a code texted to any unconfirmed account, so a distinct answer would tell which emails have accounts.
        var user = await users.FindByEmailAsync(Input.Email);
        if (await users.ConfirmPhoneForEmailAsync(user, Input.Code!) == SmsCodeCheckResult.Valid)
        {
            // The first set of recovery codes, shown once: the way back in if this phone is ever lost.
            if (await users.GenerateFirstRecoveryCodesAsync(user!) is { } codes)
            {
                RecoveryCodesModel.Show(TempData, user!.Email, codes, time.GetUtcNow());
                TempData.Info("Your mobile phone number is confirmed. Save your recovery codes, then log in.");
                return RedirectToPage("/RecoveryCodes");
            }
            TempData.Info("Your mobile phone number is confirmed. Please log in.");
            return RedirectToPage("/Login");
        }
        TempData.Error(SmsMessages.InvalidCode);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostResendAsync()
    {
        ModelState.Remove("Input.Code");
        if (!ModelState.IsValid)
        {
            return Page();
        }
        TempData.RememberEmail(Input.Email);
        var user = await users.FindByEmailAsync(Input.Email);
        var sent = await users.SendCodeIfAsync(user, user is { PhoneNumberConfirmed: false }, CodePurposes.ConfirmPhone, Input.Email, HttpContext.RequestAborted);
        if (!sent.Sent)
        {
            TempData.Error(SmsMessages.SendFailed(sent));
            return RedirectToPage();
        }
        TempData.Info(ResendAnswer);
        return RedirectToPage();
    }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your email address.")]
        [EmailField]
        [Display(Name = "Email")]
        public string Email { get; set; } = "";

        [VerificationCode]
        [Display(Name = "Verification code")]
        public string? Code { get; set; }
    }
}
