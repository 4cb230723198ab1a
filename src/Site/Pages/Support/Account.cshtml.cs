using System.ComponentModel.DataAnnotations;
using System.Globalization;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Pages.Account;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IdentityTwoFactor.Pages.Support;

/// <summary>
/// One account as a support agent sees it (name, masked phone, second factors, lock state, texts this hour, security
/// activity; never a full number, a code or a hash) and the three actions, each with the agent's own password asked
/// again. The rules are the manager's (<see cref="TwoFactorUserManager.ActAsSupportAsync"/>); this page only branches.
/// </summary>
[Authorize(Policy = SupportAccess.Policy)]
[EnableRateLimiting(RateLimiting.FormPolicy)]
public class AccountModel(TwoFactorUserManager users, TwoFactorSignInManager signIn, ISecurityEventLog events, TimeProvider time) : PageModel
{
    public const int ActivityShown = 20;

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public TwoFactorUser Subject { get; private set; } = null!;
    public bool IsOwnAccount { get; private set; }
    public bool IsLocked { get; private set; }
    public int RecoveryCodesLeft { get; private set; }
    public int TextsLastHour { get; private set; }
    public int MaxTextsPerHour { get; private set; }
    public int LiveSessions { get; private set; }
    public IReadOnlyList<SecurityEvent> Events { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id)
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return NotFound();
        }
        return await ShowAsync(me, id) ?? Page();
    }

    /// <summary>A post naming no action (the actions are the buttons' handlers): back to the page, nothing done.</summary>
    public IActionResult OnPost(string id) => RedirectToPage(new { id });

    public Task<IActionResult> OnPostUnlockAsync(string id) => ActAsync(id, SupportAction.Unlock);

    public Task<IActionResult> OnPostEndSessionsAsync(string id) => ActAsync(id, SupportAction.EndSessions);

    public Task<IActionResult> OnPostRequirePhoneConfirmationAsync(string id) => ActAsync(id, SupportAction.RequirePhoneConfirmation);

    private async Task<IActionResult> ActAsync(string id, SupportAction action)
    {
        if (await users.GetUserAsync(User) is not { } me)
        {
            return NotFound();
        }
        if (await ShowAsync(me, id) is { } notFound)
        {
            return notFound;
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        switch (await users.ActAsSupportAsync(me, Input.Password, Subject, action))
        {
            case SupportActionResult.OwnAccount:
                TempData.Error("Use your own account page for your own account: the console acts only on other accounts.");
                return RedirectToPage(new { id });
            case SupportActionResult.NotAnAgent:
                return NotFound();
            case SupportActionResult.WrongPassword:
                ModelState.AddModelError("Input.Password", "Your password is not right. Nothing was done.");
                return Page();
            case SupportActionResult.AgentLockedNow:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: true);
            case SupportActionResult.AgentLocked:
                return await SignedInLockout.LeaveAsync(this, signIn, users, me, lockedByThisAttempt: false);
        }
        TempData.Info(action switch
        {
            SupportAction.Unlock => "The account is unlocked; its failure count is zero and any unlock code texted before no longer works.",
            SupportAction.EndSessions => "The account is signed out of every browser.",
            _ => "The account's phone must be confirmed again: its next sign-in texts a confirmation code.",
        });
        return RedirectToPage(new { id });
    }

    /// <summary>Loads the account shown; a 404 result when there is none with that id.</summary>
    private async Task<IActionResult?> ShowAsync(TwoFactorUser me, string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 36 || await users.FindByIdAsync(id) is not { } subject)
        {
            return NotFound();
        }
        Subject = subject;
        IsOwnAccount = subject.Id == me.Id;
        IsLocked = await users.IsLockedOutAsync(subject);
        RecoveryCodesLeft = await users.CountRecoveryCodesAsync(subject);
        var now = time.GetUtcNow().UtcDateTime;
        TextsLastHour = await events.CountSinceAsync(subject.Id, SecurityEventKinds.CodeSent, now.AddHours(-1), HttpContext.RequestAborted);
        MaxTextsPerHour = users.MaxTextsPerHour;
        LiveSessions = (await users.ListSessionsAsync(subject)).Count;
        Events = await events.ListAsync(subject.Id, 1, ActivityShown, HttpContext.RequestAborted);
        return null;
    }

    /// <summary>How the lock reads to an agent.</summary>
    public string LockState => !IsLocked
        ? "Not locked"
        : Subject.LockoutEnd >= TwoFactorUserManager.ProvisionalLockEnd
            ? "Locked until unlocked"
            : "Locked until " + Subject.LockoutEnd?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your own password to act on this account.")]
        [StringLength(1024)]
        [Display(Name = "Your password")]
        public string Password { get; set; } = "";
    }
}
