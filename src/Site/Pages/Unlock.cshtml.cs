using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages;

[EnableRateLimiting(RateLimiting.FormPolicy)]
public class UnlockModel(TwoFactorUserManager users) : PageModel
{
    public const string ResendAnswer = "If that account is locked, a new verification code was sent to its mobile phone.";

    public const string RecoveryCodeMode = "recovery-code";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    /// <summary><c>recovery-code</c>: the form that takes a recovery code instead of the texted code.</summary>
    [BindProperty(SupportsGet = true, Name = "with")]
    public string? With { get; set; }

    public bool WithRecoveryCode => string.Equals(With, RecoveryCodeMode, StringComparison.Ordinal);

    public const string AppMode = "app";

    /// <summary><c>app</c>: the form that takes a code from the authenticator app.</summary>
    public bool WithApp => string.Equals(With, AppMode, StringComparison.Ordinal);

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
        var user = await users.FindByEmailAsync(Input.Email);
        var result = user is null ? UnlockResult.NotLocked : await users.UnlockWithCodeAsync(user, Input.Code!);
        switch (result)
        {
            case UnlockResult.Unlocked:
                TempData.Info("Your account is unlocked. Please log in.");
                return RedirectToPage("/Login");
            case UnlockResult.NotLocked:
                TempData.Info("Please login.");
                return RedirectToPage("/Login");
            case UnlockResult.Expired:
                TempData.Error(SmsMessages.ExpiredCode);
                return RedirectToPage();
            case UnlockResult.TooManyTries:
                TempData.Error(SmsMessages.TooManyTries);
                return RedirectToPage();
            default:
                TempData.Error(SmsMessages.InvalidCode);
                return RedirectToPage();
        }
    }

    /// <summary>Unlocks with a recovery code, for when the phone is gone. An unknown email or an open account answers as
    /// the texted code's form does; a wrong code is recorded (the account is locked, so it is not counted).</summary>
    public async Task<IActionResult> OnPostRecoveryAsync()
    {
        With = RecoveryCodeMode;
        ModelState.Remove("Input.Code");
        if (!RecoveryCodeFormat.IsWellFormed(Input.RecoveryCode))
        {
            ModelState.AddModelError("Input.RecoveryCode", SmsMessages.MalformedRecoveryCode);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        TempData.RememberEmail(Input.Email);
        var user = await users.FindByEmailAsync(Input.Email);
        switch (user is null ? UnlockResult.NotLocked : await users.UnlockWithRecoveryCodeAsync(user, Input.RecoveryCode))
        {
            case UnlockResult.Unlocked:
                TempData.Info(SmsMessages.UnlockedWithRecoveryCode);
                return RedirectToPage("/Login");
            case UnlockResult.NotLocked:
                TempData.Info("Please login.");
                return RedirectToPage("/Login");
            default:
                TempData.Error(SmsMessages.WrongRecoveryCode);
                return RedirectToPage(new { with = RecoveryCodeMode });
        }
    }

    /// <summary>Unlocks with a code from the authenticator app, for when no text arrives. Answered like the recovery-code
    /// form: an unknown email or an open account reads "Please login."; every failure of a locked account (wrong, used, or
    /// no app set up) reads the same sentence, so the form does not tell which locked accounts have an app.</summary>
    public async Task<IActionResult> OnPostAppAsync()
    {
        With = AppMode;
        if (!ModelState.IsValid)
        {
            return Page();
        }
        TempData.RememberEmail(Input.Email);
        var user = await users.FindByEmailAsync(Input.Email);
        switch (user is null ? UnlockResult.NotLocked : await users.UnlockWithAuthenticatorAsync(user, Input.Code))
        {
            case UnlockResult.Unlocked:
                TempData.Info(SmsMessages.UnlockedWithApp);
                return RedirectToPage("/Login");
            case UnlockResult.NotLocked:
                TempData.Info("Please login.");
                return RedirectToPage("/Login");
            case UnlockResult.TooManyTries:
                TempData.Error(SmsMessages.AppTooManyTries);
                return RedirectToPage(new { with = AppMode });
            default:
                TempData.Error(SmsMessages.WrongAppCode);
                return RedirectToPage(new { with = AppMode });
        }
    }

    /// <summary>Texts a new unlock code, but only to a locked account; the answer is the same either way.</summary>
    public async Task<IActionResult> OnPostResendAsync()
    {
        ModelState.Remove("Input.Code");
        if (!ModelState.IsValid)
        {
            return Page();
        }
        TempData.RememberEmail(Input.Email);
        var user = await users.FindByEmailAsync(Input.Email);
        var sent = await users.SendCodeIfAsync(user, user is not null && await users.IsLockedOutAsync(user), CodePurposes.Unlock, Input.Email, HttpContext.RequestAborted);
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

        [StringLength(40)]
        [Display(Name = "Recovery code")]
        public string? RecoveryCode { get; set; }
    }
}
