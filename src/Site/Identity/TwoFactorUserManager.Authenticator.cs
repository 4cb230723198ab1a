using System.Security.Cryptography;
using IdentityTwoFactor.Metrics;

namespace IdentityTwoFactor.Identity;

/// <summary>The result of a code from the authenticator app under the lockout rule.</summary>
public enum AuthenticatorCodeResult
{
    /// <summary>The right code, now used (its step can never be accepted again).</summary>
    Used,
    /// <summary>Wrong, used already, or no app set up; counted toward the lock, which is still open.</summary>
    Wrong,
    /// <summary>Wrong, and this attempt reached the limit and locked the account (exactly one attempt per lock).</summary>
    LockedNow,
    /// <summary>Wrong, and the account was already locked (nothing counted toward the lock).</summary>
    Locked,
    /// <summary>Not compared: too many tries at the app's codes in the last 24 hours.</summary>
    TooManyTries,
}

/// <summary>The result of confirming a new authenticator app with its first code.</summary>
public enum AuthenticatorConfirmResult
{
    Added,
    /// <summary>The new app replaced an older one, which stopped working.</summary>
    Replaced,
    /// <summary>Not the app's current code; the setup stays pending.</summary>
    Wrong,
    /// <summary>No setup is pending (never started, expired, or already confirmed).</summary>
    NoSetup,
}

/// <summary>What the setup page shows: the key for manual entry and the <c>otpauth://</c> URI the QR code carries.</summary>
public sealed record AuthenticatorSetup(string Base32Key, string OtpAuth)
{
    public string GroupedKey => Totp.Grouped(Base32Key);
}

/// <summary>
/// The authenticator app (RFC 6238): a third way in beside the texted code and the recovery codes. Set up with the
/// password and confirmed by one code (a pending key never counts), offered at sign-in, and able to unlock and reset the
/// password without a text. Codes are checked and used by <see cref="AuthenticatorCodeProvider"/> (single use, key
/// protected at rest); a wrong or malformed one counts toward the lock exactly like a recovery code
/// (<see cref="UseAuthenticatorCodeAsync"/>).
/// </summary>
public partial class TwoFactorUserManager
{
    /// <summary>The name apps show above the codes.</summary>
    public const string AuthenticatorIssuer = "IdentityTwoFactor";

    /// <summary>How long a started setup can be confirmed.</summary>
    public static readonly TimeSpan AuthenticatorSetupLifetime = TimeSpan.FromHours(1);

    private AuthenticatorCodeProvider AppCodes => (AuthenticatorCodeProvider)ServiceProvider.GetService(typeof(AuthenticatorCodeProvider))!;

    private IUserAuthenticatorStore<TwoFactorUser> AuthenticatorStore => Store as IUserAuthenticatorStore<TwoFactorUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserAuthenticatorStore<TwoFactorUser>)}.");

    /// <summary>True when the user confirmed an authenticator app.</summary>
    public virtual async Task<bool> HasAuthenticatorAsync(TwoFactorUser user)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        return (await AuthenticatorStore.FindAuthenticatorAsync(user.Id, CancellationToken))?.ProtectedKey is not null;
    }

    /// <summary>Starts (or restarts) a setup: a new 160-bit key, stored protected as pending. A confirmed app keeps
    /// working until the new one is confirmed. The caller has just checked the password.</summary>
    public virtual async Task StartAuthenticatorSetupAsync(TwoFactorUser user)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        var (key, protectedKey) = AppCodes.NewKey(user.Id);
        CryptographicOperations.ZeroMemory(key);
        await AuthenticatorStore.SetPendingAuthenticatorKeyAsync(user, protectedKey, Time.GetUtcNow().UtcDateTime, CancellationToken);
    }

    /// <summary>The pending setup to show (key and URI), or null when none was started in the last
    /// <see cref="AuthenticatorSetupLifetime"/>.</summary>
    public virtual async Task<AuthenticatorSetup?> GetPendingAuthenticatorSetupAsync(TwoFactorUser user)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        var row = await AuthenticatorStore.FindAuthenticatorAsync(user.Id, CancellationToken);
        if (row?.PendingProtectedKey is not { } pending || !IsLive(row) || AppCodes.Unprotect(user.Id, pending) is not { } key)
        {
            return null;
        }
        var base32 = Totp.ToBase32(key);
        CryptographicOperations.ZeroMemory(key);
        return new AuthenticatorSetup(base32, Totp.OtpAuth(AuthenticatorIssuer, user.Email ?? user.Id, base32));
    }

    private bool IsLive(AuthenticatorKey row) => row.PendingSinceUtc is { } since && Time.GetUtcNow().UtcDateTime - since < AuthenticatorSetupLifetime;

    /// <summary>
    /// Confirms the pending key with a code from the app: only then does it become the account's app (replacing an older
    /// one), the code's step counts as used, a code at every sign-in is turned on (the app is offered there), and it is
    /// recorded. A wrong code leaves the setup pending and is not counted toward the lock: the key is new and belongs to
    /// whoever just entered the password to make it.
    /// </summary>
    public virtual async Task<AuthenticatorConfirmResult> ConfirmAuthenticatorAsync(TwoFactorUser user, string? code)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        var row = await AuthenticatorStore.FindAuthenticatorAsync(user.Id, CancellationToken);
        if (row?.PendingProtectedKey is not { } pending || !IsLive(row))
        {
            return AuthenticatorConfirmResult.NoSetup;
        }
        var now = Time.GetUtcNow();
        if (AppCodes.MatchStep(user.Id, pending, code, now) is not { } step)
        {
            return AuthenticatorConfirmResult.Wrong;
        }
        if (!await AuthenticatorStore.TryConfirmAuthenticatorKeyAsync(user.Id, pending, step, now.UtcDateTime, CancellationToken))
        {
            return AuthenticatorConfirmResult.NoSetup;
        }
        var replaced = row.ProtectedKey is not null;
        await RecordEventAsync(user, replaced ? SecurityEventKinds.AuthenticatorReplaced : SecurityEventKinds.AuthenticatorAdded);
        if (!user.TwoFactorEnabled)
        {
            await SetTwoFactorEnabledAsync(user, true);
        }
        await Codes.SendNoticeAsync(user.PhoneNumber, replaced
            ? "An authenticator app was just set up for your account, replacing the old one."
            : "An authenticator app was just added to your account.");
        return replaced ? AuthenticatorConfirmResult.Replaced : AuthenticatorConfirmResult.Added;
    }

    /// <summary>Removes the app (the caller has just checked the password) and records it; true when there was one. A code
    /// at every sign-in stays on: it falls back to the texted code.</summary>
    public virtual async Task<bool> RemoveAuthenticatorAsync(TwoFactorUser user)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        if (!await AuthenticatorStore.RemoveAuthenticatorAsync(user.Id, CancellationToken))
        {
            return false;
        }
        await RecordEventAsync(user, SecurityEventKinds.AuthenticatorRemoved);
        await Codes.SendNoticeAsync(user.PhoneNumber, "The authenticator app was just removed from your account.");
        return true;
    }

    /// <summary>
    /// Uses one code from the app for <paramref name="purpose"/>: right, it is used up; wrong, malformed, replayed or with
    /// no app set up, it counts toward the lock like a wrong password and is recorded (compared first and counted after,
    /// as recovery codes are: the app's own count bounds the comparisons, see <see cref="AuthenticatorCodeProvider"/>).
    /// The caller decides whether a locked account may use one (unlocking and resetting may; signing in may not).
    /// </summary>
    public virtual async Task<AuthenticatorCodeResult> UseAuthenticatorCodeAsync(TwoFactorUser user, string purpose, string? code)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        var check = await AppCodes.CheckAsync(purpose, code, user, CancellationToken);
        if (check == AuthenticatorCheckResult.Valid)
        {
            return AuthenticatorCodeResult.Used;
        }
        var outcome = await RecordFailedAttemptAsync(user, SecurityEventKinds.AuthenticatorCodeFailed);
        if (outcome == FailedAttemptOutcome.AlreadyLocked)
        {
            // Not counted while locked, but the owner still sees the try.
            await RecordEventAsync(user, SecurityEventKinds.AuthenticatorCodeFailed);
        }
        return outcome switch
        {
            FailedAttemptOutcome.LockedNow => AuthenticatorCodeResult.LockedNow,
            _ when check == AuthenticatorCheckResult.TooManyTries => AuthenticatorCodeResult.TooManyTries,
            FailedAttemptOutcome.AlreadyLocked => AuthenticatorCodeResult.Locked,
            _ => AuthenticatorCodeResult.Wrong,
        };
    }

    /// <summary>Unlocks a locked account with a code from the app. An open account is told so and its code is not used.</summary>
    public virtual async Task<UnlockResult> UnlockWithAuthenticatorAsync(TwoFactorUser user, string? code)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!await IsLockedOutAsync(user))
        {
            return UnlockResult.NotLocked;
        }
        switch (await UseAuthenticatorCodeAsync(user, CodePurposes.Unlock, code))
        {
            case AuthenticatorCodeResult.Used:
                break;
            case AuthenticatorCodeResult.TooManyTries:
                return UnlockResult.TooManyTries;
            default:
                return UnlockResult.Wrong;
        }
        await UnlockAsync(user);
        Metrics.RecordUnlock(UnlockMethods.Authenticator);
        await RecordEventAsync(user, SecurityEventKinds.UnlockedWithAuthenticator);
        await Codes.SendNoticeAsync(user.PhoneNumber, "Your account was just unlocked with your authenticator app.");
        return UnlockResult.Unlocked;
    }

    /// <summary>
    /// Resets the password with a code from the app, for any email, as <see cref="ResetPasswordWithRecoveryCodeAsync"/>
    /// does with a recovery code: one hash slot, the same key lookup for an unknown email (<see cref="Nobody"/>), one
    /// password hash on every path. A right code sets the password, clears the lock, ends every session and is recorded.
    /// </summary>
    public virtual async Task<AuthenticatorCodeResult> ResetPasswordWithAuthenticatorAsync(TwoFactorUser? user, string? code, string newPassword)
    {
        var wasLocked = user is not null && await IsLockedOutAsync(user);
        var result = await Hashing.RunAsync(async () =>
        {
            if (user is null)
            {
                await AppCodes.CheckAsync(CodePurposes.ResetPassword, code, Nobody, CancellationToken);
                DummyCheck.Verify(newPassword);
                return AuthenticatorCodeResult.Wrong;
            }
            var used = await UseAuthenticatorCodeAsync(user, CodePurposes.ResetPassword, code);
            if (used != AuthenticatorCodeResult.Used)
            {
                DummyCheck.Verify(newPassword);
                return used;
            }
            var set = await UpdatePasswordHash(user, newPassword, validatePassword: true);
            if (set.Succeeded)
            {
                set = await UpdateUserAsync(user);
            }
            return set.Succeeded ? AuthenticatorCodeResult.Used : AuthenticatorCodeResult.Wrong;
        });
        if (user is null)
        {
            return result;
        }
        if (result == AuthenticatorCodeResult.Used)
        {
            await FinishPasswordResetAsync(user, wasLocked, SecurityEventKinds.PasswordResetWithAuthenticator, "Your password was just reset with your authenticator app.");
        }
        else if (result == AuthenticatorCodeResult.LockedNow)
        {
            await SendCodeForNewLockAsync(user);
        }
        return result;
    }
}
