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
/// <item>Wrong sign-in codes (accounts with a texted code at every sign-in) count exactly like wrong passwords, through
///   Identity's <c>AccessFailedAsync</c>, and the one that reaches the limit locks and texts the unlock code.</item>
/// <item>A successful login resets the count; unlocking resets count and lock; issuing or resending a code
///   never touches either.</item>
/// </list>
/// </summary>
public partial class TwoFactorUserManager
{
    /// <summary>Counts one failed password and locks on reaching the limit, atomically.</summary>
    public virtual Task<FailedAttemptOutcome> RecordFailedPasswordAsync(TwoFactorUser user) =>
        RecordFailedAttemptAsync(user, SecurityEventKinds.PasswordFailed);

    /// <summary>The outcome of the last failure counted by this manager (one manager per request): the page that
    /// called Identity's TwoFactorSignInAsync reads it to know whether that wrong code is the one that locked.</summary>
    public FailedAttemptOutcome? LastFailedAttempt { get; private set; }

    /// <summary>Identity's hook. Identity's own TwoFactorSignInAsync calls it for a wrong sign-in code, so wrong codes
    /// count toward the same lock as wrong passwords.</summary>
    public override async Task<IdentityResult> AccessFailedAsync(TwoFactorUser user)
    {
        await RecordFailedAttemptAsync(user, SecurityEventKinds.CodeFailed);
        return IdentityResult.Success;
    }

    private async Task<FailedAttemptOutcome> RecordFailedAttemptAsync(TwoFactorUser user, string eventKind)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        if (!user.LockoutEnabled)
        {
            return FailedAttemptOutcome.Counted;
        }
        var now = Time.GetUtcNow().UtcDateTime;
        var lockEnd = TwoFactor.LockoutDuration is { } duration ? now + duration : LockedUntilUnlocked;
        var outcome = await LockoutCounter.RecordFailedAttemptAsync(user, TwoFactor.MaxFailedAccessAttempts, lockEnd, now, CancellationToken);
        LastFailedAttempt = outcome;
        if (outcome != FailedAttemptOutcome.AlreadyLocked)
        {
            await RecordEventAsync(user, eventKind);
        }
        if (outcome == FailedAttemptOutcome.LockedNow)
        {
            await RecordEventAsync(user, SecurityEventKinds.Locked);
        }
        return outcome;
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
                await RecordEventAsync(user, SecurityEventKinds.Unlocked);
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
