using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>A lockout result that also says whether this attempt is the one that locked the account.</summary>
public sealed class LockedOutSignInResult : SignInResult
{
    public LockedOutSignInResult(bool lockedByThisAttempt)
    {
        IsLockedOut = true;
        LockedByThisAttempt = lockedByThisAttempt;
    }

    /// <summary>True for exactly one attempt per lock: the caller that should text the unlock code.</summary>
    public bool LockedByThisAttempt { get; }
}

/// <summary>
/// Identity's SignInManager with the password check of the lockout rule (see TwoFactorUserManager.Lockout.cs):
/// a locked account is refused before any hashing, and the failure that reaches the limit is the one reported
/// as locked.
/// </summary>
public class TwoFactorSignInManager(
    TwoFactorUserManager userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<TwoFactorUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<TwoFactorUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<TwoFactorUser> confirmation,
    IOptions<TwoFactorOptions> twoFactor)
    : SignInManager<TwoFactorUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    private readonly TwoFactorUserManager _users = userManager;
    private readonly IOptions<TwoFactorOptions> _twoFactor = twoFactor;

    public override async Task<SignInResult> PasswordSignInAsync(TwoFactorUser user, string password, bool isPersistent, bool lockoutOnFailure)
    {
        var result = await base.PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure);
        if (result.Succeeded)
        {
            await _users.RecordEventAsync(user, SecurityEventKinds.SignedIn);
        }
        return result;
    }

    /// <summary>Identity's two-factor sign-in with our code providers (the texted code, or the authenticator app's, which
    /// a locked account cannot use here: Identity's pre-sign-in check refuses it before the code is tried). A wrong code counts toward the lock through
    /// <see cref="TwoFactorUserManager.AccessFailedAsync"/>; <see cref="TwoFactorUserManager.LastFailedAttempt"/> tells
    /// whether it was the one that locked.</summary>
    public override async Task<SignInResult> TwoFactorSignInAsync(string provider, string code, bool isPersistent, bool rememberClient)
    {
        var user = await GetTwoFactorAuthenticationUserAsync();
        var result = await base.TwoFactorSignInAsync(provider, code, isPersistent, rememberClient);
        if (result.Succeeded && user is not null)
        {
            await _users.RecordEventAsync(user, provider == AuthenticatorCodeProvider.ProviderName
                ? SecurityEventKinds.SignedInWithAuthenticator
                : SecurityEventKinds.SignedIn);
        }
        return result;
    }

    /// <summary>A recovery code in place of the texted sign-in code (the phone may be gone). Unlike Identity's, a locked
    /// account is refused before the code is tried (and keeps it), and a wrong code counts toward the lock like a wrong
    /// password (<see cref="TwoFactorUserManager.RedeemTwoFactorRecoveryCodeAsync"/>); the one that locks is reported so.</summary>
    public override async Task<SignInResult> TwoFactorRecoveryCodeSignInAsync(string recoveryCode)
    {
        var user = await GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return SignInResult.Failed;
        }
        if (await _users.IsLockedOutAsync(user))
        {
            return new LockedOutSignInResult(lockedByThisAttempt: false);
        }
        var result = await base.TwoFactorRecoveryCodeSignInAsync(recoveryCode);
        if (result.Succeeded)
        {
            await _users.RecordEventAsync(user, SecurityEventKinds.SignedInWithRecoveryCode);
            return result;
        }
        return _users.LastFailedAttempt switch
        {
            FailedAttemptOutcome.LockedNow => new LockedOutSignInResult(lockedByThisAttempt: true),
            FailedAttemptOutcome.AlreadyLocked => new LockedOutSignInResult(lockedByThisAttempt: false),
            _ => result,
        };
    }

    /// <summary>The password step under the lockout rule (<see cref="TwoFactorUserManager.CheckPasswordWithLockoutAsync"/>):
    /// counted before it is compared, so neither a locked account nor a burst of parallel guesses gets a password compared
    /// past the limit.</summary>
    public override async Task<SignInResult> CheckPasswordSignInAsync(TwoFactorUser user, string password, bool lockoutOnFailure)
    {
        ArgumentNullException.ThrowIfNull(user);
        var refused = await PreSignInCheck(user);
        if (refused is not null)
        {
            return refused;
        }
        if (!lockoutOnFailure)
        {
            return await _users.CheckPasswordInSlotAsync(user, password) ? AfterRightPassword(user) : SignInResult.Failed;
        }

        // With a second factor still to come the count is reset only when that succeeds (Identity's rule).
        var secondFactorToCome = await IsTwoFactorEnabledAsync(user) && !await IsTwoFactorClientRememberedAsync(user);
        return await _users.CheckPasswordWithLockoutAsync(user, password, completesSignIn: !secondFactorToCome) switch
        {
            PasswordCheckResult.Success => AfterRightPassword(user),
            PasswordCheckResult.LockedNow => new LockedOutSignInResult(lockedByThisAttempt: true),
            PasswordCheckResult.Locked => new LockedOutSignInResult(lockedByThisAttempt: false),
            _ => SignInResult.Failed,
        };
    }

    /// <summary>Identity's checks before any sign-in step, after waiting out a provisional lock (an attempt that reached
    /// the limit still comparing its password): a right password arriving meanwhile is not refused as locked.</summary>
    protected override async Task<SignInResult?> PreSignInCheck(TwoFactorUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        await _users.WaitOutProvisionalLockAsync(user, System.Diagnostics.Stopwatch.GetTimestamp());
        return await base.PreSignInCheck(user);
    }

    /// <summary>Checked after the password, unlike Identity's RequireConfirmedPhoneNumber, so a stranger cannot learn which
    /// accounts still have an unconfirmed number.</summary>
    private SignInResult AfterRightPassword(TwoFactorUser user) =>
        _twoFactor.Value.RequireConfirmedPhone && !user.PhoneNumberConfirmed ? SignInResult.NotAllowed : SignInResult.Success;
}
