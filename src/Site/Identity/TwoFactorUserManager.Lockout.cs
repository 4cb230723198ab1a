using Microsoft.AspNetCore.Identity;

namespace IdentityTwoFactor.Identity;

/// <summary>The result of unlocking with a texted code.</summary>
public enum UnlockResult
{
    Unlocked,
    NotLocked,
    Wrong,
    Expired,
    Missing,
}

/// <summary>
/// THE LOCKOUT RULE, in one place.
/// <list type="number">
/// <item><c>TwoFactor:MaxFailedAccessAttempts</c> (default 3) consecutive failed passwords lock the account.
///   The increment is one conditional statement in the store, so N parallel failures count N, and exactly one
///   attempt (the one that reaches the limit) is told <see cref="FailedAttemptOutcome.LockedNow"/>: it is the one
///   reported as locked, and the one that texts the unlock code.</item>
/// <item>The lock lasts until the owner unlocks it with a texted code or resets the password with one
///   (<c>TwoFactor:LockoutDuration</c> can add a time limit; none by default).</item>
/// <item>While locked the password is not checked at all (<see cref="TwoFactorSignInManager"/>): guessing
///   stops and costs no CPU. Failures while locked are not counted; the count never exceeds the limit.</item>
/// <item>A successful login resets the count; unlocking resets count and lock; issuing or resending a code
///   never touches either.</item>
/// </list>
/// </summary>
public partial class TwoFactorUserManager
{
    /// <summary>Counts one failed password and locks on reaching the limit, atomically.</summary>
    public virtual Task<FailedAttemptOutcome> RecordFailedPasswordAsync(TwoFactorUser user)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        if (!user.LockoutEnabled)
        {
            return Task.FromResult(FailedAttemptOutcome.Counted);
        }
        var now = Time.GetUtcNow().UtcDateTime;
        var lockEnd = TwoFactor.LockoutDuration is { } duration ? now + duration : LockedUntilUnlocked;
        return LockoutCounter.RecordFailedAttemptAsync(user, TwoFactor.MaxFailedAccessAttempts, lockEnd, now, CancellationToken);
    }

    /// <summary>Identity's hook, used by the stock SignInManager and by apps calling it directly.</summary>
    public override async Task<IdentityResult> AccessFailedAsync(TwoFactorUser user)
    {
        await RecordFailedPasswordAsync(user);
        return IdentityResult.Success;
    }

    /// <summary>Locked while the lock end is in the future, on the injected clock.</summary>
    public override Task<bool> IsLockedOutAsync(TwoFactorUser user)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        return Task.FromResult(user.LockoutEnabled && user.LockoutEndUtc is { } end && end > Time.GetUtcNow().UtcDateTime);
    }

    /// <summary>Unlocks with a texted unlock code. A wrong code burns it; the lock stays.</summary>
    public virtual async Task<UnlockResult> UnlockWithCodeAsync(TwoFactorUser user, string code)
    {
        if (!await IsLockedOutAsync(user))
        {
            return UnlockResult.NotLocked;
        }
        var check = await CheckCodeAsync(user, CodePurposes.Unlock, code);
        switch (check)
        {
            case CodeCheckResult.Valid:
                await UnlockAsync(user);
                return UnlockResult.Unlocked;
            case CodeCheckResult.Expired:
                return UnlockResult.Expired;
            case CodeCheckResult.Wrong:
                return UnlockResult.Wrong;
            default:
                return UnlockResult.Missing;
        }
    }

    /// <summary>Clears the failure count and the lock.</summary>
    public virtual Task UnlockAsync(TwoFactorUser user) => LockoutCounter.UnlockAsync(user, CancellationToken);

    /// <summary>"Until unlocked": far enough ahead to never pass, small enough for every database's date type.</summary>
    public static readonly DateTime LockedUntilUnlocked = new(9999, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private IUserLockoutCounterStore<TwoFactorUser> LockoutCounter => Store as IUserLockoutCounterStore<TwoFactorUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserLockoutCounterStore<TwoFactorUser>)}.");
}
