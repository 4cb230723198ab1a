using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages.Account;

/// <summary>Changing the number takes effect only once a code texted to the new number is entered.</summary>
[Authorize]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class PhoneModel(TwoFactorUserManager users, TwoFactorSignInManager signIn, PhoneNumberNormalizer phones) : PageModel
{
    private const string PendingKey = "Account.PendingPhone";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    /// <summary>The new number waiting for its code (E.164), if any.</summary>
    public string? Pending { get; private set; }

    public void OnGet() => Pending = TempData.Peek(PendingKey) as string;

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        ModelState.Remove("Input.Code");
        var phone = phones.ToE164(Input.Phone);
        if (phone is null)
        {
            ModelState.AddModelError("Input.Phone", "Enter a valid mobile phone number, for example +1 650 555 1234.");
        }
        else if (!phones.IsAllowedRegion(phone))
        {
            ModelState.AddModelError("Input.Phone", phones.NotAllowedRegionMessage());
        }
        else if (phone == me.PhoneNumber && me.PhoneNumberConfirmed)
        {
            ModelState.AddModelError("Input.Phone", "That is already your mobile phone number.");
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var sent = await users.SendCodeAsync(me, SmsCodeTokenProvider.ChangePhonePrefix + phone, HttpContext.RequestAborted);
        if (!sent.Sent)
        {
            TempData.Error(SmsMessages.SendFailed(sent));
            return RedirectToPage();
        }
        TempData[PendingKey] = phone;
        TempData.Info($"We texted a 6-digit code to {sent.MaskedPhone}. Enter it to make it your number.");
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostConfirmAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        var pending = TempData.Peek(PendingKey) as string;
        ModelState.Remove("Input.Phone");
        if (pending is null)
        {
            TempData.Error("Enter the new number first.");
            return RedirectToPage();
        }
        if (!ModelState.IsValid)
        {
            Pending = pending;
            return Page();
        }
        var state = await users.GetCodeStateAsync(me, SmsCodeTokenProvider.ChangePhonePrefix + pending);
        var result = await users.ChangePhoneNumberAsync(me, pending, Input.Code!);
        if (!result.Succeeded)
        {
            TempData.Error(SmsMessages.CodeRejected(state));
            return RedirectToPage();
        }
        TempData.Remove(PendingKey);
        await signIn.RefreshSignInAsync(me);
        TempData.Info($"Your mobile phone number is now {Sms.PhoneMask.Mask(pending)}.");
        return RedirectToPage("/Account/Index");
    }

    public sealed class InputModel
    {
        [StringLength(40, ErrorMessage = "Enter a valid mobile phone number, for example +1 650 555 1234.")]
        [Display(Name = "New mobile phone")]
        public string? Phone { get; set; }

        [VerificationCode]
        [Display(Name = "Code texted to the new number")]
        public string? Code { get; set; }
    }
}
