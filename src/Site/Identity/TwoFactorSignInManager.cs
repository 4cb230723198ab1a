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
    IUserConfirmation<TwoFactorUser> confirmation)
    : SignInManager<TwoFactorUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    private readonly TwoFactorUserManager _users = userManager;

    public override async Task<SignInResult> CheckPasswordSignInAsync(TwoFactorUser user, string password, bool lockoutOnFailure)
    {
        ArgumentNullException.ThrowIfNull(user);
        var refused = await PreSignInCheck(user);
        if (refused is not null)
        {
            return refused;
        }

        if (await _users.CheckPasswordAsync(user, password))
        {
            if (!await IsTwoFactorEnabledAsync(user) || await IsTwoFactorClientRememberedAsync(user))
            {
                await _users.ResetAccessFailedCountAsync(user);
            }
            return SignInResult.Success;
        }

        if (lockoutOnFailure)
        {
            var outcome = await _users.RecordFailedPasswordAsync(user);
            if (outcome != FailedAttemptOutcome.Counted)
            {
                return new LockedOutSignInResult(outcome == FailedAttemptOutcome.LockedNow);
            }
        }
        return SignInResult.Failed;
    }
}
