using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages;

/// <remarks>The managers are injected into the POST handler only: a GET of the form (most requests) then creates no
/// UserManager or DbContext (about an eighth of its CPU).</remarks>
[EnableRateLimiting(RateLimiting.FormPolicy)]
[HashesPassword(LockedAccountEmailField = "Input.Email")]
public class LoginModel : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    /// <summary>Where a page that needs sign-in sent the user from (Identity's cookie handler adds it). The form posts
    /// to the page's own URL, so the query string carries it through the post.</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary><see cref="ReturnUrl"/> when it is a path on this site; null for anything else (<c>//host</c>,
    /// <c>/\host</c>, absolute URLs, control characters), so only local URLs are ever followed.</summary>
    private string? LocalReturnUrl => Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : null;

    public void OnGet()
    {
        Input.Email = this.RememberedEmail() ?? "";
    }

    public async Task<IActionResult> OnPostAsync(
        [FromServices] TwoFactorSignInManager signIn, [FromServices] TwoFactorUserManager users, [FromServices] DummyPasswordCheck dummy)
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var user = await users.FindByEmailAsync(Input.Email);
        if (user is null)
        {
            // The same hashing work as a wrong password, so timing does not tell which emails have accounts.
            await dummy.VerifyAsync(Input.Password);
            return Failed();
        }

        var result = await signIn.PasswordSignInAsync(user, Input.Password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            return LocalRedirect(LocalReturnUrl ?? "/");
        }
        if (result.RequiresTwoFactor)
        {
            if (await users.HasAuthenticatorAsync(user))
            {
                // The app needs no text (and costs none): offer it first; the page can still text a code.
                TempData.Info("Enter the code from your authenticator app to sign in.");
                return RedirectToPage("/LoginCode", new { ReturnUrl = LocalReturnUrl, with = LoginCodeModel.AppMode });
            }
            var code = await users.SendCodeAsync(user, CodePurposes.SignIn, HttpContext.RequestAborted);
            if (code.Sent)
            {
                TempData.Info($"We texted a 6-digit code to your mobile phone number {code.MaskedPhone}. Enter it to sign in.");
            }
            else
            {
                TempData.Error(SmsMessages.SendFailed(code));
            }
            return RedirectToPage("/LoginCode", new { ReturnUrl = LocalReturnUrl });
        }
        if (result.IsNotAllowed)
        {
            // The right password, but the phone number was never confirmed.
            var code = await users.SendCodeAsync(user, CodePurposes.ConfirmPhone, HttpContext.RequestAborted);
            TempData.RememberEmail(user.Email);
            if (code.Sent)
            {
                TempData.Info(SmsMessages.ConfirmPhoneSent(code.MaskedPhone));
            }
            else
            {
                TempData.Error("Please confirm your mobile phone number first. " + SmsMessages.SendFailed(code));
            }
            return RedirectToPage("/ConfirmPhone");
        }
        if (result is LockedOutSignInResult { LockedByThisAttempt: true })
        {
            return await LockedNowAsync(users, user, TempData, HttpContext.RequestAborted);
        }
        if (result.IsLockedOut)
        {
            TempData.Info(SmsMessages.StillLocked(PhoneMask.Mask(user.PhoneNumber)));
            TempData.RememberEmail(user.Email);
            return RedirectToPage("/Unlock");
        }
        return Failed();
    }

    /// <summary>This attempt locked the account: text the unlock code once and lead to /unlock.</summary>
    internal static async Task<IActionResult> LockedNowAsync(TwoFactorUserManager users, TwoFactorUser user, Microsoft.AspNetCore.Mvc.ViewFeatures.ITempDataDictionary tempData, CancellationToken cancellationToken)
    {
        var sent = await users.SendCodeForNewLockAsync(user, cancellationToken);
        if (sent.Sent)
        {
            tempData.Info(SmsMessages.Locked(sent.MaskedPhone));
        }
        else if (sent.PhoneNotConfirmed)
        {
            tempData.Error("Your account is temporarily locked. Your mobile phone number is not confirmed yet, so no code could be texted: confirm it first, then ask for an unlock code here.");
        }
        else
        {
            tempData.Error("Your account is temporarily locked. " + SmsMessages.SendFailed(sent));
        }
        tempData.RememberEmail(user.Email);
        return new RedirectToPageResult("/Unlock");
    }

    private RedirectToPageResult Failed()
    {
        TempData.Error(SmsMessages.WrongLogin);
        TempData.RememberEmail(Input.Email);
        return RedirectToPage("/Login", new { ReturnUrl = LocalReturnUrl });
    }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your email address.")]
        [EmailField]
        [Display(Name = "Email")]
        public string Email { get; set; } = "";

        [Required(ErrorMessage = "Enter your password.")]
        [StringLength(1024, ErrorMessage = "Passwords have at most 128 characters.")]
        [Display(Name = "Password")]
        public string Password { get; set; } = "";
    }
}
