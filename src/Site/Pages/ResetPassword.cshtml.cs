using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages;

/// <summary>
/// Step 1 takes an email and texts a code, answering the same whether or not the account exists.
/// Step 2 takes the code and a new password; success also clears a lock and ends other sessions.
/// </summary>
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class ResetPasswordModel(TwoFactorUserManager users) : PageModel
{
    public const string SentAnswer = "If an account exists for that email, a verification code was sent to its mobile phone.";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    /// <summary>True on step 2 (enter the code and the new password).</summary>
    [BindProperty(SupportsGet = true, Name = "step")]
    public string? Step { get; set; }

    public bool OnCodeStep => string.Equals(Step, "code", StringComparison.Ordinal);

    public const string RecoveryCodeStep = "recovery-code";

    /// <summary>True on the form that takes a recovery code instead of a texted code (the phone is gone).</summary>
    public bool OnRecoveryCodeStep => string.Equals(Step, RecoveryCodeStep, StringComparison.Ordinal);

    public const string AppStep = "app";

    /// <summary>True on the form that takes a code from the authenticator app instead of a texted code.</summary>
    public bool OnAppStep => string.Equals(Step, AppStep, StringComparison.Ordinal);

    public void OnGet()
    {
        Input.Email = this.RememberedEmail() ?? "";
    }

    public Task<IActionResult> OnPostAsync() => SendAsync();

    public Task<IActionResult> OnPostResendAsync() => SendAsync();

    public async Task<IActionResult> OnPostResetAsync()
    {
        Step = "code";
        ModelState.Remove("Input.RecoveryCode");
        var user = await CheckNewPasswordAsync();
        if (!ModelState.IsValid)
        {
            return Page();
        }

        TempData.RememberEmail(Input.Email);
        // The same answer and the same hashing work whatever the email and whatever became of the code.
        if (await users.ResetPasswordWithCodeAsync(user, Input.Code!, Input.NewPassword!) != SmsCodeCheckResult.Valid)
        {
            return CodeFailed(SmsMessages.InvalidCode);
        }
        TempData.Info("Password changed successfully. Please log in with your new password.");
        return RedirectToPage("/Login");
    }

    /// <summary>Step 2 with a recovery code instead of the texted code. Every failure (unknown email, wrong or used code,
    /// the attempt that locks, a locked account) answers the same sentence after the same work.</summary>
    public async Task<IActionResult> OnPostRecoveryAsync()
    {
        Step = RecoveryCodeStep;
        ModelState.Remove("Input.Code");
        if (!RecoveryCodeFormat.IsWellFormed(Input.RecoveryCode))
        {
            ModelState.AddModelError("Input.RecoveryCode", SmsMessages.MalformedRecoveryCode);
        }
        var user = await CheckNewPasswordAsync();
        if (!ModelState.IsValid)
        {
            return Page();
        }

        TempData.RememberEmail(Input.Email);
        if (await users.ResetPasswordWithRecoveryCodeAsync(user, Input.RecoveryCode, Input.NewPassword!) != RecoveryCodeResult.Used)
        {
            TempData.Error(SmsMessages.WrongRecoveryCode);
            return RedirectToPage(new { step = RecoveryCodeStep });
        }
        TempData.Info("Password changed successfully. That recovery code is now used up. Please log in with your new password.");
        return RedirectToPage("/Login");
    }

    /// <summary>Step 2 with a code from the authenticator app. Every failure (unknown email, no app, a wrong or used code,
    /// the attempt that locks) answers the same sentence after the same work.</summary>
    public async Task<IActionResult> OnPostAppAsync()
    {
        Step = AppStep;
        ModelState.Remove("Input.RecoveryCode");
        var user = await CheckNewPasswordAsync();
        if (!ModelState.IsValid)
        {
            return Page();
        }

        TempData.RememberEmail(Input.Email);
        if (await users.ResetPasswordWithAuthenticatorAsync(user, Input.Code, Input.NewPassword!) != AuthenticatorCodeResult.Used)
        {
            TempData.Error(SmsMessages.WrongAppCode);
            return RedirectToPage(new { step = AppStep });
        }
        TempData.Info("Password changed successfully. Please log in with your new password.");
        return RedirectToPage("/Login");
    }

    /// <summary>The new password's checks, made before any code is spent on it; the account of the email, if any and if
    /// the form is valid so far.</summary>
    private async Task<TwoFactorUser?> CheckNewPasswordAsync()
    {
        if (string.IsNullOrEmpty(Input.NewPassword))
        {
            ModelState.AddModelError("Input.NewPassword", "Choose a new password.");
        }
        else if (!string.Equals(Input.NewPassword, Input.ConfirmPassword, StringComparison.Ordinal))
        {
            ModelState.AddModelError("Input.ConfirmPassword", "The two passwords do not match.");
        }
        var user = ModelState.IsValid ? await users.FindByEmailAsync(Input.Email) : null;
        if (ModelState.IsValid)
        {
            // Check the new password before the code is spent on it.
            foreach (var validator in users.PasswordValidators)
            {
                var check = await validator.ValidateAsync(users, user ?? new TwoFactorUser(), Input.NewPassword);
                foreach (var error in check.Errors)
                {
                    ModelState.AddModelError("Input.NewPassword", error.Description);
                }
            }
        }
        return user;
    }

    private async Task<IActionResult> SendAsync()
    {
        foreach (var key in new[] { "Input.Code", "Input.NewPassword", "Input.ConfirmPassword", "Input.RecoveryCode" })
        {
            ModelState.Remove(key);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        TempData.RememberEmail(Input.Email);
        // No text for an unknown email, but the same budget answers a real account would get, so the page does not
        // tell which emails have accounts.
        var user = await users.FindByEmailAsync(Input.Email);
        var sent = await users.SendCodeIfAsync(user, !string.IsNullOrEmpty(user?.PhoneNumber), CodePurposes.ResetPassword, Input.Email, HttpContext.RequestAborted);
        if (!sent.Sent)
        {
            TempData.Error(SmsMessages.SendFailed(sent));
            return RedirectToPage(new { step = "code" });
        }
        TempData.Info(SentAnswer);
        return RedirectToPage(new { step = "code" });
    }

    private RedirectToPageResult CodeFailed(string message)
    {
        TempData.Error(message);
        return RedirectToPage(new { step = "code" });
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

        [StringLength(40)]
        [Display(Name = "Recovery code")]
        public string? RecoveryCode { get; set; }

        [StringLength(1024, ErrorMessage = "Passwords must be at most 128 characters.")]
        [Display(Name = "New password")]
        public string? NewPassword { get; set; }

        [StringLength(1024, ErrorMessage = "Passwords must be at most 128 characters.")]
        [Display(Name = "Confirm new password")]
        public string? ConfirmPassword { get; set; }
    }
}
