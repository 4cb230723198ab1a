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
            return LocalRedirect(LocalReturnUrl ?? "/");
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
        return RedirectToPage(new { ReturnUrl = LocalReturnUrl });
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

        [Display(Name = "Remember this browser for 30 days")]
        public bool RememberBrowser { get; set; }
    }
}
