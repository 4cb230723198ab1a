using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages;

[EnableRateLimiting(RateLimiting.FormPolicy)]
[HashesPassword]
public class SignupModel(TwoFactorUserManager users, PhoneNumberNormalizer phones, Microsoft.Extensions.Options.IOptions<TwoFactorOptions> options) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var phone = phones.ToE164(Input.Phone);
        if (phone is null && ModelState.GetFieldValidationState("Input.Phone") != Microsoft.AspNetCore.Mvc.ModelBinding.ModelValidationState.Invalid)
        {
            ModelState.AddModelError("Input.Phone", "Enter a valid mobile phone number, for example +1 650 555 1234.");
        }
        else if (phone is not null && !phones.IsAllowedRegion(phone))
        {
            ModelState.AddModelError("Input.Phone", phones.NotAllowedRegionMessage());
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var user = new TwoFactorUser
        {
            UserName = Input.Email.Trim(),
            Email = Input.Email.Trim(),
            PhoneNumber = phone,
            FirstName = Input.FirstName.Trim(),
            LastName = Input.LastName.Trim(),
            CreatedUtc = DateTime.UtcNow,
        };
        var result = await users.CreateAsync(user, Input.Password);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(FieldOf(error), MessageOf(error));
            }
            return Page();
        }

        TempData.RememberEmail(user.Email);
        if (!options.Value.RequireConfirmedPhone)
        {
            TempData.Info("Congratulations! Your account was created. Please log in.");
            return RedirectToPage("/Login");
        }
        var sent = await users.SendCodeAsync(user, CodePurposes.ConfirmPhone, HttpContext.RequestAborted);
        if (sent.Sent)
        {
            TempData.Info("Congratulations! Your account was created. " + SmsMessages.ConfirmPhoneSent(sent.MaskedPhone));
        }
        else
        {
            TempData.Error("Your account was created, but the code to confirm your mobile phone number could not be texted yet. " + SmsMessages.SendFailed(sent));
        }
        return RedirectToPage("/ConfirmPhone");
    }

    private static string FieldOf(IdentityError error) => error.Code switch
    {
        "DuplicateEmail" or "DuplicateUserName" or "InvalidEmail" or "InvalidUserName" => "Input.Email",
        _ when error.Code.StartsWith("Password", StringComparison.Ordinal) => "Input.Password",
        _ => "",
    };

    private static string MessageOf(IdentityError error) => error.Code switch
    {
        "DuplicateEmail" or "DuplicateUserName" => "An account with this email already exists. Log in, or reset your password.",
        "InvalidEmail" or "InvalidUserName" => "Enter a valid email address.",
        _ => error.Description,
    };

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your email address.")]
        [EmailField]
        [Display(Name = "Email")]
        public string Email { get; set; } = "";

        [Required(ErrorMessage = "Choose a password.")]
        [StringLength(1024, ErrorMessage = "Passwords must be at most 128 characters.")]
        [DataType(DataType.Password)]
        [Display(Name = "Password")]
        public string Password { get; set; } = "";

        [Required(ErrorMessage = "Type the password again.")]
        [Compare(nameof(Password), ErrorMessage = "The two passwords do not match.")]
        [DataType(DataType.Password)]
        [Display(Name = "Confirm password")]
        public string ConfirmPassword { get; set; } = "";

        [Required(ErrorMessage = "Enter your mobile phone number.")]
        [StringLength(40, ErrorMessage = "Enter a valid mobile phone number, for example +1 650 555 1234.")]
        [Display(Name = "Mobile phone")]
        public string Phone { get; set; } = "";

        [Required(ErrorMessage = "Enter your first name.")]
        [StringLength(100, ErrorMessage = "A first name has at most 100 characters.")]
        [PlainText(ErrorMessage = "A first name cannot contain control or direction-changing characters.")]
        [Display(Name = "First name")]
        public string FirstName { get; set; } = "";

        [Required(ErrorMessage = "Enter your last name.")]
        [StringLength(100, ErrorMessage = "A last name has at most 100 characters.")]
        [PlainText(ErrorMessage = "A last name cannot contain control or direction-changing characters.")]
        [Display(Name = "Last name")]
        public string LastName { get; set; } = "";
    }
}
