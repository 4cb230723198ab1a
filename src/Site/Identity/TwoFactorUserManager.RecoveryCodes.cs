using IdentityTwoFactor.Metrics;

namespace IdentityTwoFactor.Identity;

/// <summary>The result of trying a recovery code under the lockout rule.</summary>
public enum RecoveryCodeResult
{
    /// <summary>The code was right and is now used up.</summary>
    Used,
    /// <summary>Not one of the account's unused codes; counted toward the lock, which is still open.</summary>
    Wrong,
    /// <summary>Wrong, and this attempt reached the limit and locked the account (exactly one attempt per lock).</summary>
    LockedNow,
    /// <summary>Wrong, and the account was already locked (nothing counted).</summary>
    Locked,
}

/// <summary>
/// Recovery codes: the way back in when the phone is gone. Ten codes of 50 bits each (<see cref="RecoveryCodeFormat"/>),
/// shown once, stored only as HMACs under the server's code key bound to the user id (Identity's stock store keeps them
/// in clear text), each used once by one conditional DELETE. A wrong one counts toward the lock exactly like a wrong
/// password (<see cref="RecordFailedAttemptAsync"/>); it is compared first and counted after, not counted first like a
/// password: with 50 bits a guess in flight is worthless, and a right code must never lose to a provisional lock.
/// Identity's own recovery-code calls (<see cref="GenerateNewTwoFactorRecoveryCodesAsync"/>,
/// <see cref="RedeemTwoFactorRecoveryCodeAsync"/>, <see cref="CountRecoveryCodesAsync"/>) use the same hashed store.
/// </summary>
public partial class TwoFactorUserManager
{
    public const int RecoveryCodesPerSet = 10;

    /// <summary>Below this many unused codes the account page warns.</summary>
    public const int FewRecoveryCodes = 3;

    private IUserRecoveryCodeStore<TwoFactorUser> RecoveryCodeStore => Store as IUserRecoveryCodeStore<TwoFactorUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserRecoveryCodeStore<TwoFactorUser>)}.");

    private CodeHasher RecoveryCodeHasher => (CodeHasher)ServiceProvider.GetService(typeof(CodeHasher))!;

    /// <summary>Makes a new set of <see cref="RecoveryCodesPerSet"/> codes, replacing every older one (which stop working at
    /// once), and records it. The plain codes are returned to be shown once; only their keyed hashes are stored.</summary>
    public virtual async Task<IReadOnlyList<string>> GenerateRecoveryCodesAsync(TwoFactorUser user)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        var codes = Enumerable.Range(0, RecoveryCodesPerSet).Select(_ => RecoveryCodeFormat.NewCode()).Distinct().ToList();
        while (codes.Count < RecoveryCodesPerSet)
        {
            codes = codes.Append(RecoveryCodeFormat.NewCode()).Distinct().ToList();
        }
        var hasher = RecoveryCodeHasher;
        var hashes = codes.Select(c => hasher.HashRecoveryCode(user.Id, RecoveryCodeFormat.Normalize(c)!)).ToList();
        await RecoveryCodeStore.ReplaceRecoveryCodesAsync(user, hashes, Time.GetUtcNow().UtcDateTime, CancellationToken);
        await RecordEventAsync(user, SecurityEventKinds.RecoveryCodesGenerated);
        return codes;
    }

    /// <summary>The first set, made when the phone is confirmed; null when the account already has codes (a set the owner
    /// saved is never replaced without the password, which <c>/account/recovery-codes</c> asks for). Whoever confirmed the
    /// phone can already reset the password with a texted code, so these codes give nothing the phone did not.</summary>
    public virtual async Task<IReadOnlyList<string>?> GenerateFirstRecoveryCodesAsync(TwoFactorUser user) =>
        await CountRecoveryCodesAsync(user) == 0 ? await GenerateRecoveryCodesAsync(user) : null;

    /// <summary>Identity's call, on the hashed store; <paramref name="number"/> is ignored (a set is always ten).</summary>
    public override async Task<IEnumerable<string>?> GenerateNewTwoFactorRecoveryCodesAsync(TwoFactorUser user, int number) =>
        await GenerateRecoveryCodesAsync(user);

    /// <summary>How many unused recovery codes the user has.</summary>
    public override Task<int> CountRecoveryCodesAsync(TwoFactorUser user)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        return RecoveryCodeStore.CountRecoveryCodesAsync(user, CancellationToken);
    }

    /// <summary>Identity's call: uses the code under the lockout rule (<see cref="UseRecoveryCodeAsync"/>).</summary>
    public override async Task<Microsoft.AspNetCore.Identity.IdentityResult> RedeemTwoFactorRecoveryCodeAsync(TwoFactorUser user, string code) =>
        await UseRecoveryCodeAsync(user, code) == RecoveryCodeResult.Used
            ? Microsoft.AspNetCore.Identity.IdentityResult.Success
            : Microsoft.AspNetCore.Identity.IdentityResult.Failed(ErrorDescriber.RecoveryCodeRedemptionFailed());

    /// <summary>
    /// Uses one recovery code: right, it is deleted (one of any number of parallel uses wins) and <see cref="RecoveryCodeResult.Used"/>;
    /// wrong (or malformed), it counts toward the lock like a wrong password and is recorded. The caller decides whether a
    /// locked account may use one (unlocking and resetting may; signing in may not).
    /// </summary>
    public virtual async Task<RecoveryCodeResult> UseRecoveryCodeAsync(TwoFactorUser user, string? code)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        if (await TryUseRecoveryCodeAsync(user.Id, code))
        {
            return RecoveryCodeResult.Used;
        }
        var outcome = await RecordFailedAttemptAsync(user, SecurityEventKinds.RecoveryCodeFailed);
        if (outcome == FailedAttemptOutcome.AlreadyLocked)
        {
            // Not counted while locked, but the owner still sees the try.
            await RecordEventAsync(user, SecurityEventKinds.RecoveryCodeFailed);
        }
        return outcome switch
        {
            FailedAttemptOutcome.LockedNow => RecoveryCodeResult.LockedNow,
            FailedAttemptOutcome.AlreadyLocked => RecoveryCodeResult.Locked,
            _ => RecoveryCodeResult.Wrong,
        };
    }

    /// <summary>The one statement that uses a code; the same lookup for any input, so a malformed code or an unknown
    /// account (<see cref="Nobody"/>) costs what a wrong code of a real account costs.</summary>
    private Task<bool> TryUseRecoveryCodeAsync(string userId, string? code)
    {
        // A malformed input is hashed as an empty code, which no stored code can match.
        var normalized = RecoveryCodeFormat.Normalize(code) ?? "";
        return RecoveryCodeStore.TryUseRecoveryCodeAsync(userId, RecoveryCodeHasher.HashRecoveryCode(userId, normalized), CancellationToken);
    }

    /// <summary>Unlocks a locked account with a recovery code (the phone that would get the unlock code may be gone). A
    /// wrong code is recorded; an open account is told so and keeps its codes.</summary>
    public virtual async Task<UnlockResult> UnlockWithRecoveryCodeAsync(TwoFactorUser user, string? code)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!await IsLockedOutAsync(user))
        {
            return UnlockResult.NotLocked;
        }
        if (await UseRecoveryCodeAsync(user, code) != RecoveryCodeResult.Used)
        {
            return UnlockResult.Wrong;
        }
        await UnlockAsync(user);
        Metrics.RecordUnlock(UnlockMethods.RecoveryCode);
        await RecordEventAsync(user, SecurityEventKinds.UnlockedWithRecoveryCode);
        await Codes.SendNoticeAsync(user.PhoneNumber, "Your account was just unlocked with a recovery code.");
        return UnlockResult.Unlocked;
    }

    /// <summary>
    /// Resets the password with a recovery code, for any email (the form anyone can post): one hash slot for the whole
    /// step, the same DELETE for an unknown email (<see cref="Nobody"/>) as for a real one, and one password hash on every
    /// path (the new password's, or the dummy check). A right code sets the password, clears the lock, ends every session
    /// and is recorded; a wrong one counts toward the lock like a wrong password, and the attempt that locks texts the
    /// unlock code, as a wrong password at /login does. The page answers every failure alike.
    /// </summary>
    public virtual async Task<RecoveryCodeResult> ResetPasswordWithRecoveryCodeAsync(TwoFactorUser? user, string? code, string newPassword)
    {
        var wasLocked = user is not null && await IsLockedOutAsync(user);
        var result = await Hashing.RunAsync(async () =>
        {
            if (user is null)
            {
                await TryUseRecoveryCodeAsync(Nobody.Id, code);
                DummyCheck.Verify(newPassword);
                return RecoveryCodeResult.Wrong;
            }
            var used = await UseRecoveryCodeAsync(user, code);
            if (used != RecoveryCodeResult.Used)
            {
                DummyCheck.Verify(newPassword);
                return used;
            }
            // The page checked the new password against the validators before the code was spent on it.
            var set = await UpdatePasswordHash(user, newPassword, validatePassword: true);
            if (set.Succeeded)
            {
                set = await UpdateUserAsync(user);
            }
            return set.Succeeded ? RecoveryCodeResult.Used : RecoveryCodeResult.Wrong;
        });
        if (user is null)
        {
            return result;
        }
        if (result == RecoveryCodeResult.Used)
        {
            await FinishPasswordResetAsync(user, wasLocked, SecurityEventKinds.PasswordResetWithRecoveryCode, "Your password was just reset with a recovery code.");
        }
        else if (result == RecoveryCodeResult.LockedNow)
        {
            await SendCodeForNewLockAsync(user);
        }
        return result;
    }
}
