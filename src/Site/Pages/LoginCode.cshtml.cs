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

    /// <summary>Carried from /login: where to go once the code is accepted (local URLs only, as on /login).</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    private string? LocalReturnUrl => Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : null;

    public const string RecoveryCodeMode = "recovery-code";

    /// <summary><c>recovery-code</c>: the form that takes a recovery code instead of the texted code.</summary>
    [BindProperty(SupportsGet = true, Name = "with")]
    public string? With { get; set; }

    public bool WithRecoveryCode => string.Equals(With, RecoveryCodeMode, StringComparison.Ordinal);

    public const string AppMode = "app";

    /// <summary><c>app</c>: the form that takes a code from the authenticator app (the default for accounts that have one).</summary>
    public bool WithApp => string.Equals(With, AppMode, StringComparison.Ordinal);

    /// <summary>The account has an authenticator app, so the page offers it.</summary>
    public bool HasApp { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await signIn.GetTwoFactorAuthenticationUserAsync() is not { } user)
        {
            return StartOver();
        }
        HasApp = await users.HasAuthenticatorAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return StartOver();
        }
        if (ModelState.GetValidationState("Input.Code") == Microsoft.AspNetCore.Mvc.ModelBinding.ModelValidationState.Invalid)
        {
            HasApp = await users.HasAuthenticatorAsync(user);
            return Page();
        }
        var state = await users.GetCodeStateAsync(user, CodePurposes.SignIn);
        var result = await signIn.TwoFactorSignInAsync(SmsCodeTokenProvider.ProviderName, Input.Code!, isPersistent: false, rememberClient: Input.RememberBrowser);
        if (result.Succeeded)
        {
            return LocalRedirect(LocalReturnUrl ?? "/");
        }
        if (result.IsLockedOut)
        {
            return await LockedAsync(user);
        }
        TempData.Error(SmsMessages.CodeRejected(state));
        return RedirectToPage(new { ReturnUrl = LocalReturnUrl });
    }

    /// <summary>A code from the authenticator app instead of the texted code. Used once; a wrong one counts toward the lock
    /// like a wrong password (Identity's two-factor sign-in through <see cref="AuthenticatorCodeProvider"/>), and a locked
    /// account is refused before the code is tried.</summary>
    public async Task<IActionResult> OnPostAppAsync()
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return StartOver();
        }
        With = AppMode;
        HasApp = true;
        if (ModelState.GetValidationState("Input.Code") == Microsoft.AspNetCore.Mvc.ModelBinding.ModelValidationState.Invalid)
        {
            return Page();
        }
        var result = await signIn.TwoFactorSignInAsync(AuthenticatorCodeProvider.ProviderName, Input.Code!, isPersistent: false, rememberClient: Input.RememberBrowser);
        if (result.Succeeded)
        {
            return LocalRedirect(LocalReturnUrl ?? "/");
        }
        if (result.IsLockedOut)
        {
            return await LockedAsync(user);
        }
        TempData.Error(SmsMessages.WrongAppCode);
        return RedirectToPage(new { ReturnUrl = LocalReturnUrl, with = AppMode });
    }

    /// <summary>A recovery code instead of the texted code (the phone is gone). It never remembers the browser: the next
    /// sign-in asks for a code again. A wrong one counts toward the lock like a wrong password.</summary>
    public async Task<IActionResult> OnPostRecoveryAsync()
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return StartOver();
        }
        With = RecoveryCodeMode;
        HasApp = await users.HasAuthenticatorAsync(user);
        ModelState.Remove("Input.Code");
        if (!RecoveryCodeFormat.IsWellFormed(Input.RecoveryCode))
        {
            ModelState.AddModelError("Input.RecoveryCode", SmsMessages.MalformedRecoveryCode);
            return Page();
        }
        var result = await signIn.TwoFactorRecoveryCodeSignInAsync(Input.RecoveryCode!);
        if (result.Succeeded)
        {
            return LocalRedirect(LocalReturnUrl ?? "/");
        }
        if (result.IsLockedOut)
        {
            return await LockedAsync(user);
        }
        TempData.Error(SmsMessages.WrongRecoveryCode);
        return RedirectToPage(new { ReturnUrl = LocalReturnUrl, with = RecoveryCodeMode });
    }

    /// <summary>A wrong code locked the account (this attempt texts the unlock code) or it already was: to /unlock.</summary>
    private async Task<IActionResult> LockedAsync(TwoFactorUser user)
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
        return RedirectToPage(new { ReturnUrl = LocalReturnUrl });
    }

    private RedirectToPageResult StartOver()
    {
        TempData.Info("Please log in.");
        return RedirectToPage("/Login", new { ReturnUrl = LocalReturnUrl });
    }

    public sealed class InputModel
    {
        [VerificationCode]
        [Display(Name = "Verification code")]
        public string? Code { get; set; }

        [StringLength(40)]
        [Display(Name = "Recovery code")]
        public string? RecoveryCode { get; set; }

        [Display(Name = "Remember this browser for 30 days")]
        public bool RememberBrowser { get; set; }
    }
}
