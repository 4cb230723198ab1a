using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Sms;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages.Account;

/// <summary>
/// Changing the number takes the current password, then the code texted to the new number and, when the account has a
/// confirmed number, the code texted to that current number: the phone is the second factor, so a stolen session (even
/// with the password) cannot replace it. Wrong passwords and codes here count toward the lock.
/// </summary>
[Authorize]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class PhoneModel(TwoFactorUserManager users, TwoFactorSignInManager signIn, PhoneNumberNormalizer phones) : PageModel
{
    private const string PendingKey = "Account.PendingPhone";
    private const string ByRecoveryCodeKey = "Account.PendingPhoneByRecoveryCode";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    /// <summary>The new number waiting for its code (E.164), if any.</summary>
    public string? Pending { get; private set; }

    /// <summary>The masked current number whose approval code the confirmation form asks for; null when none is needed.</summary>
    public string? ApproverMasked { get; private set; }

    /// <summary>The pending change is approved with a recovery code (the current phone is gone), not a texted code.</summary>
    public bool ApproveWithRecoveryCode { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        ShowPending(me);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        ModelState.Remove("Input.Code");
        ModelState.Remove("Input.CurrentPhoneCode");
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
        if (string.IsNullOrEmpty(Input.CurrentPassword))
        {
            ModelState.AddModelError("Input.CurrentPassword", "Enter your current password.");
        }
        var byRecoveryCode = Input.LostCurrentPhone && phone is not null && TwoFactorUserManager.NeedsApproval(me, phone);
        if (byRecoveryCode && await users.CountRecoveryCodesAsync(me) == 0)
        {
            ModelState.AddModelError("Input.LostCurrentPhone", "You have no recovery codes left, so only a code texted to your current number can approve the change.");
        }
        if (!ModelState.IsValid)
        {
            ShowPending(me);
            return Page();
        }
        switch (await users.CheckPasswordWithLockoutAsync(me, Input.CurrentPassword!))
        {
            case PasswordCheckResult.Wrong:
                ModelState.AddModelError("Input.CurrentPassword", "The current password is not right.");
                ShowPending(me);
                return Page();
            case PasswordCheckResult.LockedNow:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: true);
            case PasswordCheckResult.Locked:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: false);
        }
        var sent = await users.StartPhoneChangeAsync(me, phone!, byRecoveryCode, HttpContext.RequestAborted);
        if (!sent.Sent)
        {
            TempData.Error(SmsMessages.SendFailed(sent.NewNumber));
            return RedirectToPage();
        }
        TempData[PendingKey] = phone;
        TempData[ByRecoveryCodeKey] = byRecoveryCode;
        TempData.Info(sent.ApprovalSentTo is { } current
            ? $"We texted a 6-digit code to the new number {sent.NewNumber.MaskedPhone} and another to your current number {current}. Enter both to make the new number yours."
            : byRecoveryCode
                ? $"We texted a 6-digit code to the new number {sent.NewNumber.MaskedPhone}. Enter it and one of your recovery codes to make the new number yours."
                : $"We texted a 6-digit code to {sent.NewNumber.MaskedPhone}. Enter it to make it your number.");
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
        ModelState.Remove("Input.CurrentPassword");
        if (pending is null)
        {
            TempData.Error("Enter the new number and your password first.");
            return RedirectToPage();
        }
        var byRecoveryCode = TempData.Peek(ByRecoveryCodeKey) is true;
        if (TwoFactorUserManager.NeedsApproval(me, pending))
        {
            if (byRecoveryCode && !RecoveryCodeFormat.IsWellFormed(Input.RecoveryCode))
            {
                ModelState.AddModelError("Input.RecoveryCode", SmsMessages.MalformedRecoveryCode);
            }
            else if (!byRecoveryCode && !CodeHasher.IsWellFormed(Input.CurrentPhoneCode))
            {
                ModelState.AddModelError("Input.CurrentPhoneCode", "Enter the 6-digit code texted to your current number.");
            }
        }
        if (!ModelState.IsValid)
        {
            ShowPending(me);
            return Page();
        }
        var approval = byRecoveryCode ? Input.RecoveryCode : Input.CurrentPhoneCode;
        var result = await users.ChangePhoneAsync(me, pending, Input.Code!, approval, approvalIsRecoveryCode: byRecoveryCode);
        TempData.Remove(ByRecoveryCodeKey);
        switch (result)
        {
            case PhoneChangeResult.Changed:
                break;
            case PhoneChangeResult.LockedNow:
                TempData.Remove(PendingKey);
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: true);
            case PhoneChangeResult.Locked:
                TempData.Remove(PendingKey);
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: false);
            default:
                // Every code tried is used up: the next try starts again with the password.
                TempData.Remove(PendingKey);
                TempData.Error("A code was not right, or has expired. Nothing was changed: enter the new number and your password again to get new codes.");
                return RedirectToPage();
        }
        TempData.Remove(PendingKey);
        await signIn.RefreshSignInAsync(me);
        TempData.Info($"Your mobile phone number is now {PhoneMask.Mask(pending)}. We texted both numbers to say so.");
        return RedirectToPage("/Account/Index");
    }

    private void ShowPending(TwoFactorUser me)
    {
        Pending = TempData.Peek(PendingKey) as string;
        var needsApproval = Pending is not null && TwoFactorUserManager.NeedsApproval(me, Pending);
        ApproveWithRecoveryCode = needsApproval && TempData.Peek(ByRecoveryCodeKey) is true;
        ApproverMasked = needsApproval && !ApproveWithRecoveryCode ? PhoneMask.Mask(me.PhoneNumber) : null;
    }

    public sealed class InputModel
    {
        [StringLength(40, ErrorMessage = "Enter a valid mobile phone number, for example +1 650 555 1234.")]
        [Display(Name = "New mobile phone")]
        public string? Phone { get; set; }

        [StringLength(1024)]
        [Display(Name = "Current password")]
        public string? CurrentPassword { get; set; }

        [VerificationCode]
        [Display(Name = "Code texted to the new number")]
        public string? Code { get; set; }

        [Display(Name = "Code texted to your current number")]
        public string? CurrentPhoneCode { get; set; }

        [Display(Name = "I no longer have my current phone: approve the change with a recovery code")]
        public bool LostCurrentPhone { get; set; }

        [StringLength(40)]
        [Display(Name = "Recovery code")]
        public string? RecoveryCode { get; set; }
    }
}
