using System.Diagnostics;
using IdentityTwoFactor.Metrics;
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
    /// <summary>Not checked: too many tries at this account's codes in the last 24 hours.</summary>
    TooManyTries,
}

/// <summary>The result of checking a password under the lockout rule.</summary>
public enum PasswordCheckResult
{
    /// <summary>The right password; the count was reset (or, with a second factor to come, this attempt taken back).</summary>
    Success,
    /// <summary>A wrong password, counted; the account is still open.</summary>
    Wrong,
    /// <summary>A wrong password that reached the limit: this attempt locked the account (exactly one per lock).</summary>
    LockedNow,
    /// <summary>The account is locked: the password was not compared (or, compared right, lost to a parallel lock).</summary>
    Locked,
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
/// <item>Count first, then compare (<see cref="CheckPasswordWithLockoutAsync"/>): every password attempt is counted
///   as a failure by the atomic statement <em>before</em> its hash is compared, and taken back when it proves right. The
///   attempt whose count reaches the limit locks the account before comparing, so parallel requests cannot compare more
///   than the limit per lock, and a right password in flight never signs in once a wrong one locked the account.
///   That lock is provisional (<see cref="ProvisionalLockEnd"/>) until the attempt's own password proves wrong; attempts
///   arriving meanwhile wait for its answer (<see cref="WaitOutProvisionalLockAsync"/>, at most
///   <see cref="ProvisionalLockWait"/>), so several right passwords at once all sign in instead of being told "locked".
///   Current passwords asked again on the account pages go through the same check.</item>
/// <item>Wrong sign-in codes (accounts with a texted code at every sign-in) count exactly like wrong passwords, through
///   Identity's <c>AccessFailedAsync</c>, and the one that reaches the limit locks and texts the unlock code.</item>
/// <item>Wrong recovery codes and wrong codes from the authenticator app count like wrong passwords too (compared first,
///   counted after: see TwoFactorUserManager.RecoveryCodes.cs and TwoFactorUserManager.Authenticator.cs); a locked account
///   may use either to unlock or reset, never to sign in.</item>
/// <item>A successful login resets the count (also after a timed lock expired); unlocking resets count and lock;
///   issuing or resending a code never touches either. Wrong codes on the account pages count like wrong passwords.</item>
/// </list>
/// </summary>
public partial class TwoFactorUserManager
{
    /// <summary>Counts one failed password and locks on reaching the limit, atomically.</summary>
    public virtual Task<FailedAttemptOutcome> RecordFailedPasswordAsync(TwoFactorUser user) =>
        RecordFailedAttemptAsync(user, SecurityEventKinds.PasswordFailed);

    /// <summary>
    /// Checks a password under the lockout rule: the attempt is counted (and, at the limit, locks) before the hash is
    /// compared, then taken back if the password is right. A locked account's password is not compared at all.
    /// </summary>
    /// <param name="completesSignIn">False when a second factor is still to come: a right password then takes back only
    /// its own attempt, and the count is reset when the second factor succeeds (Identity's rule).</param>
    public virtual async Task<PasswordCheckResult> CheckPasswordWithLockoutAsync(TwoFactorUser user, string password, bool completesSignIn = true)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        if (!user.LockoutEnabled)
        {
            return await CheckPasswordInSlotAsync(user, password) ? PasswordCheckResult.Success : PasswordCheckResult.Wrong;
        }
        var waitingSince = Stopwatch.GetTimestamp();
        while (true)
        {
            // The hash slot is taken before the attempt is counted: a busy answer counts nothing.
            if (await Hashing.RunAsync(() => CountThenCompareAsync(user, password, completesSignIn)) is { } answer)
            {
                return answer;
            }
            // Another attempt's password is being compared: wait for its answer (outside the slot) rather than refuse a
            // right password.
            if (!await WaitOutProvisionalLockAsync(user, waitingSince))
            {
                return PasswordCheckResult.Locked;
            }
        }
    }

    /// <summary>One round of <see cref="CheckPasswordWithLockoutAsync"/>; null when another attempt's provisional lock stands.</summary>
    private async Task<PasswordCheckResult?> CountThenCompareAsync(TwoFactorUser user, string password, bool completesSignIn)
    {
        // The attempt that reaches the limit locks provisionally: it is final only once its password proves wrong.
        var attempt = await LockoutCounter.RecordFailedAttemptAsync(user, TwoFactor.MaxFailedAccessAttempts, ProvisionalLockEnd, Time.GetUtcNow(), CancellationToken);
        if (attempt == FailedAttemptOutcome.AlreadyLocked)
        {
            return null;
        }
        var lockedByIt = attempt == FailedAttemptOutcome.LockedNow;
        if (await CheckPasswordAsync(user, password))
        {
            var forgiven = await LockoutCounter.ForgiveFailedAttemptAsync(user, lockedByIt, completesSignIn, Time.GetUtcNow(), CancellationToken);
            if (lockedByIt)
            {
                ProvisionalLockSignals.Decided(user.Id);
            }
            return forgiven ? PasswordCheckResult.Success : PasswordCheckResult.Locked;
        }
        await RecordEventAsync(user, SecurityEventKinds.PasswordFailed);
        if (lockedByIt)
        {
            var locked = await LockoutCounter.ConfirmLockAsync(user, TwoFactor.MaxFailedAccessAttempts, LockEndFrom(Time.GetUtcNow()), CancellationToken);
            ProvisionalLockSignals.Decided(user.Id);
            if (locked)
            {
                Metrics.RecordLock(LockCauses.Password);
                await RecordEventAsync(user, SecurityEventKinds.Locked);
                return PasswordCheckResult.LockedNow;
            }
        }
        return PasswordCheckResult.Wrong;
    }

    /// <summary>Identity's password check without the lockout rule, in a hash slot.</summary>
    public virtual Task<bool> CheckPasswordInSlotAsync(TwoFactorUser user, string password) =>
        Hashing.RunAsync(() => CheckPasswordAsync(user, password));

    /// <summary>
    /// While the account's lock is provisional (an attempt that reached the limit is still comparing its password), waits
    /// for that answer, at most <see cref="ProvisionalLockWait"/> in all from <paramref name="waitingSince"/>, re-reading
    /// the lock every few milliseconds. True when the account is open afterwards; false when it is locked (for good, or
    /// still provisionally after the wait: the caller then answers "locked", as Identity would).
    /// </summary>
    public virtual async Task<bool> WaitOutProvisionalLockAsync(TwoFactorUser user, long waitingSince)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        if (user.LockoutEnd == ProvisionalLockEnd && Stopwatch.GetElapsedTime(waitingSince) < ProvisionalLockWait)
        {
            // One read per wake: woken at once by a decision in this process; otherwise (another instance decides) at
            // the next poll. The state is read after the last wait too, so the answer is never a stale one.
            while (true)
            {
                var decided = ProvisionalLockSignals.Next(user.Id);
                await LockoutCounter.ReloadLockoutStateAsync(user, CancellationToken);
                if (user.LockoutEnd != ProvisionalLockEnd || Stopwatch.GetElapsedTime(waitingSince) >= ProvisionalLockWait)
                {
                    break;
                }
                await Task.WhenAny(decided, Task.Delay(ProvisionalLockPoll, CancellationToken));
            }
        }
        return !await IsLockedOutAsync(user);
    }

    /// <summary>Counts a wrong code entered on an account page (phone change) exactly like a wrong password.</summary>
    public virtual Task<FailedAttemptOutcome> RecordFailedCodeAsync(TwoFactorUser user) =>
        RecordFailedAttemptAsync(user, SecurityEventKinds.CodeFailed);

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
        var now = Time.GetUtcNow();
        var outcome = await LockoutCounter.RecordFailedAttemptAsync(user, TwoFactor.MaxFailedAccessAttempts, LockEndFrom(now), now, CancellationToken);
        LastFailedAttempt = outcome;
        if (outcome != FailedAttemptOutcome.AlreadyLocked)
        {
            await RecordEventAsync(user, eventKind);
        }
        if (outcome == FailedAttemptOutcome.LockedNow)
        {
            Metrics.RecordLock(eventKind switch
            {
                SecurityEventKinds.PasswordFailed => LockCauses.Password,
                SecurityEventKinds.RecoveryCodeFailed => LockCauses.RecoveryCode,
                SecurityEventKinds.AuthenticatorCodeFailed => LockCauses.Authenticator,
                _ => LockCauses.Code,
            });
            await RecordEventAsync(user, SecurityEventKinds.Locked);
        }
        return outcome;
    }

    private DateTimeOffset LockEndFrom(DateTimeOffset now) => TwoFactor.LockoutDuration is { } duration ? now + duration : LockedUntilUnlocked;

    /// <summary>Locked while the lock end is in the future, on the injected clock.</summary>
    public override Task<bool> IsLockedOutAsync(TwoFactorUser user)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        return Task.FromResult(user.LockoutEnabled && user.LockoutEnd is { } end && end > Time.GetUtcNow());
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
            case SmsCodeCheckResult.Valid:
                await UnlockAsync(user);
                Metrics.RecordUnlock(UnlockMethods.TextedCode);
                await RecordEventAsync(user, SecurityEventKinds.Unlocked);
                return UnlockResult.Unlocked;
            case SmsCodeCheckResult.Expired:
                return UnlockResult.Expired;
            case SmsCodeCheckResult.Wrong:
                return UnlockResult.Wrong;
            case SmsCodeCheckResult.TooManyTries:
                return UnlockResult.TooManyTries;
            default:
                return UnlockResult.Missing;
        }
    }

    /// <summary>Clears the failure count and the lock.</summary>
    public virtual async Task UnlockAsync(TwoFactorUser user)
    {
        await LockoutCounter.UnlockAsync(user, CancellationToken);
        ProvisionalLockSignals.Decided(user.Id);
    }

    /// <summary>"Until unlocked": far enough ahead to never pass, small enough for every database's date type.</summary>
    public static readonly DateTimeOffset LockedUntilUnlocked = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The lock end written by the password attempt that reaches the limit, before its hash is compared: locked
    /// for everyone else (Identity included) and recognisable, so a right password arriving meanwhile waits for the answer
    /// instead of being refused. A wrong password makes it final (<see cref="LockedUntilUnlocked"/> or the timed end); a
    /// right one lifts it. A process killed between the two leaves it standing: locked until unlocked (fail closed).</summary>
    public static readonly DateTimeOffset ProvisionalLockEnd = IdentityTwoFactor.Lockout.SmsTwoFactorLockout.ProvisionalLockEnd;

    /// <summary>How long a sign-in waits in all for provisional locks to be decided. One comparison takes well under a
    /// second even on a busy machine, but while many right passwords of one account arrive at once only the limit's worth
    /// are compared at a time and the rest queue (bench B, 16 clients on one account on 2 cores: p99 ~2.5 s, and a 2 s wait
    /// told 2 of ~1,300 right passwords "locked"). A flood of wrong guesses never waits this long: its first limit-reaching
    /// comparison makes the lock final.</summary>
    public static readonly TimeSpan ProvisionalLockWait = TimeSpan.FromSeconds(5);

    /// <summary>How often a waiting sign-in re-reads the lock when no decision in this process woke it (one made on another
    /// instance). Each read is a query, so a short poll by many waiters costs real CPU.</summary>
    private static readonly TimeSpan ProvisionalLockPoll = TimeSpan.FromMilliseconds(100);

    private IUserSmsTwoFactorStore<TwoFactorUser> LockoutCounter => Store as IUserSmsTwoFactorStore<TwoFactorUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserSmsTwoFactorStore<TwoFactorUser>)}.");
}
