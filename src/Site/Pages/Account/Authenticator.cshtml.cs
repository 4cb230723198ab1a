using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using QRCoder;

namespace IdentityTwoFactor.Pages.Account;

/// <summary>
/// Sets up, replaces or removes the authenticator app. Starting a setup and removing need the current password (a wrong
/// one counts toward the lock, as on the other account pages): an app is a way to reset the password, so a stolen session
/// alone must not add one. The pending key is shown (QR code rendered here as a PNG, and as text) only in the browser that
/// entered the password, and becomes the account's app only once a code from it is entered.
/// </summary>
[Authorize]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class AuthenticatorModel(TwoFactorUserManager users, TwoFactorSignInManager signIn) : PageModel
{
    /// <summary>TempData (an encrypted cookie of this browser) names the user whose setup this browser started.</summary>
    private const string SetupStartedHere = "Authenticator.SetupStartedBy";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public bool HasApp { get; private set; }
    public AuthenticatorSetup? Setup { get; private set; }

    /// <summary>The QR code of <see cref="Setup"/>'s URI, as a data: URL (the CSP allows data: images; no script).</summary>
    public string? QrCodeImage { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        await LoadAsync(me);
        return Page();
    }

    public async Task<IActionResult> OnPostStartAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        ModelState.Remove("Input.Code");
        if (await CheckPasswordAsync(me) is { } refused)
        {
            return refused;
        }
        await users.StartAuthenticatorSetupAsync(me);
        TempData[SetupStartedHere] = me.Id;
        TempData.Info("Scan the QR code with your authenticator app (or type the key), then enter the code it shows.");
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostConfirmAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        ModelState.Remove("Input.CurrentPassword");
        if (!StartedHere(me))
        {
            TempData.Error("That setup has ended. Enter your password to start again.");
            return RedirectToPage();
        }
        if (!ModelState.IsValid)
        {
            await LoadAsync(me);
            return Page();
        }
        switch (await users.ConfirmAuthenticatorAsync(me, Input.Code))
        {
            case AuthenticatorConfirmResult.Added:
            case AuthenticatorConfirmResult.Replaced:
                TempData.Remove(SetupStartedHere);
                await signIn.RefreshSignInAsync(me);
                TempData.Info("Your authenticator app is set up. At sign-in you can now enter a code from it instead of a texted code, and it can unlock your account or reset your password.");
                return RedirectToPage("/Account/Index");
            case AuthenticatorConfirmResult.Wrong:
                TempData.Error("That is not the code your authenticator app shows for this key. Check the key and the phone's clock, then enter the code it shows now.");
                return RedirectToPage();
            default:
                TempData.Remove(SetupStartedHere);
                TempData.Error("That setup has ended. Enter your password to start again.");
                return RedirectToPage();
        }
    }

    public async Task<IActionResult> OnPostRemoveAsync()
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return Challenge();
        }
        ModelState.Remove("Input.Code");
        if (await CheckPasswordAsync(me) is { } refused)
        {
            return refused;
        }
        if (!await users.RemoveAuthenticatorAsync(me))
        {
            TempData.Error("Your account has no authenticator app to remove.");
            return RedirectToPage();
        }
        TempData.Remove(SetupStartedHere);
        TempData.Info("The authenticator app was removed. Its codes no longer work.");
        return RedirectToPage("/Account/Index");
    }

    /// <summary>The password asked again, under the lockout rule; null when it was right.</summary>
    private async Task<IActionResult?> CheckPasswordAsync(TwoFactorUser me)
    {
        if (!ModelState.IsValid)
        {
            await LoadAsync(me);
            return Page();
        }
        switch (await users.CheckPasswordWithLockoutAsync(me, Input.CurrentPassword!))
        {
            case PasswordCheckResult.Wrong:
                ModelState.AddModelError("Input.CurrentPassword", "The current password is not right.");
                await LoadAsync(me);
                return Page();
            case PasswordCheckResult.LockedNow:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: true);
            case PasswordCheckResult.Locked:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: false);
            default:
                return null;
        }
    }

    // TempData's serializer hands a string that reads as a GUID (our user ids) back as a Guid, so compare its text.
    private bool StartedHere(TwoFactorUser me) =>
        HttpContext.MayHaveMessages()
        && string.Equals(TempData.Peek(SetupStartedHere)?.ToString(), me.Id, StringComparison.OrdinalIgnoreCase);

    private async Task LoadAsync(TwoFactorUser me)
    {
        HasApp = await users.HasAuthenticatorAsync(me);
        Setup = StartedHere(me) ? await users.GetPendingAuthenticatorSetupAsync(me) : null;
        if (Setup is not null)
        {
            using var generator = new QRCodeGenerator();
            using var data = generator.CreateQrCode(Setup.OtpAuth, QRCodeGenerator.ECCLevel.M);
            using var png = new PngByteQRCode(data);
            QrCodeImage = "data:image/png;base64," + Convert.ToBase64String(png.GetGraphic(5));
            NoStore();
        }
    }

    private void NoStore() =>
        // The key must not be kept by the browser's cache or a proxy; set as the response starts (after antiforgery's own).
        Response.OnStarting(() =>
        {
            Response.Headers.CacheControl = "no-cache, no-store";
            Response.Headers.Pragma = "no-cache";
            return Task.CompletedTask;
        });

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your current password.")]
        [StringLength(1024)]
        [Display(Name = "Current password")]
        public string? CurrentPassword { get; set; }

        [VerificationCode]
        [Display(Name = "Code from the app")]
        public string? Code { get; set; }
    }
}
