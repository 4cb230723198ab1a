using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IdentityTwoFactor.Pages;

public class LoginModel(TwoFactorSignInManager signIn, TwoFactorUserManager users, DummyPasswordCheck dummy) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public void OnGet()
    {
        Input.Email = TempData.PeekEmail() ?? "";
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var user = await users.FindByEmailAsync(Input.Email);
        if (user is null)
        {
            // The same hashing work as a wrong password, so timing does not tell which emails have accounts.
            dummy.Verify(Input.Password);
            return Failed();
        }

        var result = await signIn.PasswordSignInAsync(user, Input.Password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            return LocalRedirect("/");
        }
        if (result is LockedOutSignInResult { LockedByThisAttempt: true })
        {
            var sent = await users.SendCodeAsync(user, CodePurposes.Unlock, HttpContext.RequestAborted);
            if (sent.Sent)
            {
                TempData.Info(SmsMessages.Locked(sent.MaskedPhone));
            }
            else
            {
                TempData.Error("Your account is temporarily locked. " + SmsMessages.SendFailed(sent));
            }
            TempData.RememberEmail(user.Email);
            return RedirectToPage("/Unlock");
        }
        if (result.IsLockedOut)
        {
            TempData.Info(SmsMessages.StillLocked(PhoneMask.Mask(user.PhoneNumber)));
            TempData.RememberEmail(user.Email);
            return RedirectToPage("/Unlock");
        }
        return Failed();
    }

    private RedirectToPageResult Failed()
    {
        TempData.Error(SmsMessages.WrongLogin);
        TempData.RememberEmail(Input.Email);
        return RedirectToPage("/Login");
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
