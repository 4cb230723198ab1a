using IdentityTwoFactor.Identity.Sessions;
using IdentityTwoFactor.Metrics;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// Identity's UserManager plus the texted-code operations the pages need (send, check with a reason, unlock).
/// The lockout rule itself is in TwoFactorUserManager.Lockout.cs.
/// </summary>
public partial class TwoFactorUserManager(
    IUserStore<TwoFactorUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<TwoFactorUser> passwordHasher,
    IEnumerable<IUserValidator<TwoFactorUser>> userValidators,
    IEnumerable<IPasswordValidator<TwoFactorUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<TwoFactorUser>> logger,
    SmsCodeTokenProvider codes,
    IOptions<TwoFactorOptions> twoFactorOptions,
    TimeProvider time,
    SmsTwoFactorMetrics metrics)
    : UserManager<TwoFactorUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    private readonly ISecurityEventLog? _events = services.GetService(typeof(ISecurityEventLog)) as ISecurityEventLog;
    private readonly IUserSessionStore? _sessions = services.GetService(typeof(IUserSessionStore)) as IUserSessionStore;

    /// <summary>Every password hash or verification runs in one of its slots (issue 16).</summary>
    protected HashingGate Hashing { get; } = (HashingGate)services.GetService(typeof(HashingGate))!;

    protected SmsCodeTokenProvider Codes { get; } = codes;
    protected TwoFactorOptions TwoFactor => twoFactorOptions.Value;
    protected TimeProvider Time { get; } = time;

    /// <summary>Counts locks and unlocks (texts and code checks are counted by the provider).</summary>
    protected SmsTwoFactorMetrics Metrics { get; } = metrics;

    private IUserCodeStore<TwoFactorUser> CodeStore => Store as IUserCodeStore<TwoFactorUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserCodeStore<TwoFactorUser>)}.");

    /// <summary>Texts a fresh code for <paramref name="purpose"/> to the user's phone (or, for a phone change, to
    /// the new number named in the purpose).</summary>
    public virtual Task<SendCodeResult> SendCodeAsync(TwoFactorUser user, string purpose, CancellationToken cancellationToken = default)
        => SendCodeAsync(user, purpose, ignoreCooldown: false, cancellationToken);

    /// <summary>Texts the unlock code when this very attempt locked the account (once per lock, so no cooldown).</summary>
    public virtual Task<SendCodeResult> SendCodeForNewLockAsync(TwoFactorUser user, CancellationToken cancellationToken = default)
        => SendCodeAsync(user, CodePurposes.Unlock, ignoreCooldown: true, cancellationToken);

    private async Task<SendCodeResult> SendCodeAsync(TwoFactorUser user, string purpose, bool ignoreCooldown, CancellationToken cancellationToken)
    {
        var result = await Codes.SendAsync(purpose, this, user, ignoreCooldown, cancellationToken);
        if (result.Sent)
        {
            await RecordEventAsync(user, SecurityEventKinds.CodeSent);
        }
        return result;
    }

    /// <summary>Checks and consumes a code, saying why it failed.</summary>
    public virtual async Task<SmsCodeCheckResult> CheckCodeAsync(TwoFactorUser user, string purpose, string code)
    {
        var result = await Codes.CheckAsync(purpose, code, this, user);
        if (result is SmsCodeCheckResult.Wrong or SmsCodeCheckResult.Expired)
        {
            await RecordEventAsync(user, SecurityEventKinds.CodeFailed);
        }
        return result;
    }

    public override async Task<IdentityResult> CreateAsync(TwoFactorUser user, string password)
    {
        // The hash is made before the row is written: a busy answer stores nothing.
        var result = await Hashing.RunAsync(() => base.CreateAsync(user, password));
        if (result.Succeeded)
        {
            await RecordEventAsync(user, SecurityEventKinds.SignedUp);
        }
        return result;
    }

    /// <summary>Identity's change, with the current password checked under the lockout rule (a wrong one counts like a
    /// wrong password at sign-in), then <see cref="SetNewPasswordAsync"/>.</summary>
    public override async Task<IdentityResult> ChangePasswordAsync(TwoFactorUser user, string currentPassword, string newPassword)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        if (await CheckPasswordWithLockoutAsync(user, currentPassword) != PasswordCheckResult.Success)
        {
            return IdentityResult.Failed(ErrorDescriber.PasswordMismatch());
        }
        return await SetNewPasswordAsync(user, newPassword);
    }

    /// <summary>Sets a new password for a user whose current password was just checked: validated, hashed, a new security
    /// stamp, every other session ended at once (the caller signs its own browser in again), recorded, and a notice texted
    /// when notices are on.</summary>
    public virtual async Task<IdentityResult> SetNewPasswordAsync(TwoFactorUser user, string newPassword)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
        var result = await Hashing.RunAsync(() => UpdatePasswordHash(user, newPassword, validatePassword: true));
        if (!result.Succeeded)
        {
            return result;
        }
        result = await UpdateUserAsync(user);
        if (result.Succeeded)
        {
            await EndSessionsAsync(user);
            await RecordEventAsync(user, SecurityEventKinds.PasswordChanged);
            await Codes.SendNoticeAsync(user.PhoneNumber, "Your password was just changed.");
        }
        return result;
    }

    public override async Task<IdentityResult> SetTwoFactorEnabledAsync(TwoFactorUser user, bool enabled)
    {
        var was = user.TwoFactorEnabled;
        var result = await base.SetTwoFactorEnabledAsync(user, enabled);
        if (result.Succeeded && was != enabled)
        {
            await RecordEventAsync(user, enabled ? SecurityEventKinds.TwoFactorOn : SecurityEventKinds.TwoFactorOff);
        }
        return result;
    }

    /// <summary>Identity's change with a code texted to the new number (our provider binds it to that number). A wrong
    /// code counts toward the lock like a wrong password. See <see cref="ChangePhoneAsync"/> for the page's whole rule.</summary>
    public override async Task<IdentityResult> ChangePhoneNumberAsync(TwoFactorUser user, string phoneNumber, string token)
    {
        var result = await ApplyPhoneChangeAsync(user, phoneNumber, token);
        if (!result.Succeeded)
        {
            await RecordFailedCodeAsync(user);
        }
        return result;
    }

    /// <summary>
    /// Starts moving the account to <paramref name="newPhone"/> (the caller has just checked the current password): a
    /// code to the new number, and, when the account has a confirmed number, a code to that current number to approve
    /// the move. Both texts belong to one request, so the second skips the cooldown the first just started (the hourly
    /// and daily caps still count both).
    /// </summary>
    public virtual Task<PhoneChangeStart> StartPhoneChangeAsync(TwoFactorUser user, string newPhone, CancellationToken cancellationToken = default) =>
        StartPhoneChangeAsync(user, newPhone, approveWithRecoveryCode: false, cancellationToken);

    /// <summary><see cref="StartPhoneChangeAsync(TwoFactorUser, string, CancellationToken)"/>, or, with
    /// <paramref name="approveWithRecoveryCode"/> (the current phone is gone), only the new number's code: the move is then
    /// approved with a recovery code (<see cref="ChangePhoneAsync"/>) and nothing is texted to the current number.</summary>
    public virtual async Task<PhoneChangeStart> StartPhoneChangeAsync(TwoFactorUser user, string newPhone, bool approveWithRecoveryCode,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        string? approvalSentTo = null;
        if (NeedsApproval(user, newPhone) && !approveWithRecoveryCode)
        {
            var approval = await SendCodeAsync(user, CodePurposes.ApprovePhoneChangePrefix + newPhone, ignoreCooldown: false, cancellationToken);
            if (!approval.Sent)
            {
                return new PhoneChangeStart(approval, null);
            }
            approvalSentTo = approval.MaskedPhone;
        }
        var code = await SendCodeAsync(user, SmsCodeTokenProvider.ChangePhonePrefix + newPhone, ignoreCooldown: approvalSentTo is not null, cancellationToken);
        return new PhoneChangeStart(code, approvalSentTo);
    }

    /// <summary>
    /// Moves the account to <paramref name="newPhone"/>: the code texted to the new number, and, when the account has a
    /// confirmed number, the approval code texted to it (<see cref="StartPhoneChangeAsync"/>). A wrong code counts toward the
    /// lock like a wrong password; either code once tried is used up. Both numbers get a notice of the change, whatever
    /// <c>TwoFactor:Notices</c> says.
    /// </summary>
    /// <param name="approvalIsRecoveryCode">The approval is one of the account's recovery codes (the current phone is
    /// gone) instead of the code texted to the current number; it is used up once tried, like the texted codes.</param>
    public virtual async Task<PhoneChangeResult> ChangePhoneAsync(TwoFactorUser user, string newPhone, string newNumberCode, string? approvalCode,
        bool approvalIsRecoveryCode = false)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (await IsLockedOutAsync(user))
        {
            return PhoneChangeResult.Locked;
        }
        if (approvalIsRecoveryCode && NeedsApproval(user, newPhone))
        {
            // UseRecoveryCodeAsync counts a wrong code toward the lock itself.
            switch (await UseRecoveryCodeAsync(user, approvalCode))
            {
                case RecoveryCodeResult.LockedNow:
                    return PhoneChangeResult.LockedNow;
                case RecoveryCodeResult.Locked:
                    return PhoneChangeResult.Locked;
                case RecoveryCodeResult.Wrong:
                    return PhoneChangeResult.WrongCode;
            }
            return (await ApplyPhoneChangeAsync(user, newPhone, newNumberCode, SecurityEventKinds.PhoneChangedWithRecoveryCode)).Succeeded
                ? PhoneChangeResult.Changed
                : await CountWrongCodeAsync(user);
        }
        // Codes.CheckAsync, not CheckCodeAsync: CountWrongCodeAsync records the wrong code, which must show once in the activity.
        if (NeedsApproval(user, newPhone)
            && await Codes.CheckAsync(CodePurposes.ApprovePhoneChangePrefix + newPhone, approvalCode ?? "", this, user) != SmsCodeCheckResult.Valid)
        {
            return await CountWrongCodeAsync(user);
        }
        if (!(await ApplyPhoneChangeAsync(user, newPhone, newNumberCode)).Succeeded)
        {
            return await CountWrongCodeAsync(user);
        }
        return PhoneChangeResult.Changed;
    }

    /// <summary>Only a confirmed number can approve: an unconfirmed one never proved it belongs to the owner.</summary>
    public static bool NeedsApproval(TwoFactorUser user, string newPhone) =>
        user.PhoneNumberConfirmed && !string.IsNullOrEmpty(user.PhoneNumber) && !string.Equals(user.PhoneNumber, newPhone, StringComparison.Ordinal);

    private async Task<PhoneChangeResult> CountWrongCodeAsync(TwoFactorUser user) =>
        await RecordFailedCodeAsync(user) switch
        {
            FailedAttemptOutcome.LockedNow => PhoneChangeResult.LockedNow,
            FailedAttemptOutcome.AlreadyLocked => PhoneChangeResult.Locked,
            _ => PhoneChangeResult.WrongCode,
        };

    /// <summary>Identity's change (code checked by our provider, number set and confirmed, new security stamp), recorded;
    /// a real change is announced to the old number and the new one.</summary>
    private async Task<IdentityResult> ApplyPhoneChangeAsync(TwoFactorUser user, string phoneNumber, string token,
        string changedEvent = SecurityEventKinds.PhoneChanged)
    {
        var old = user.PhoneNumber;
        var result = await base.ChangePhoneNumberAsync(user, phoneNumber, token);
        if (result.Succeeded)
        {
            var changed = !string.Equals(old, phoneNumber, StringComparison.Ordinal);
            await RecordEventAsync(user, changed ? changedEvent : SecurityEventKinds.PhoneConfirmed);
            if (changed)
            {
                const string Notice = "The mobile phone number of your account was just changed.";
                await Codes.SendNoticeAsync(old, Notice, always: true);
                await Codes.SendNoticeAsync(phoneNumber, Notice, always: true);
            }
        }
        return result;
    }

    /// <summary>Confirms the user's current number with a texted ConfirmPhone code.</summary>
    public virtual async Task<SmsCodeCheckResult> ConfirmPhoneAsync(TwoFactorUser user, string code)
    {
        var result = await CheckCodeAsync(user, CodePurposes.ConfirmPhone, code);
        if (result == SmsCodeCheckResult.Valid)
        {
            user.PhoneNumberConfirmed = true;
            await UpdateUserAsync(user);
            await RecordEventAsync(user, SecurityEventKinds.PhoneConfirmed);
        }
        return result;
    }

    /// <summary>Ends every other session of the user at once and gives it a new security stamp; the caller signs its own
    /// browser in again.</summary>
    public virtual async Task<IdentityResult> SignOutEverywhereElseAsync(TwoFactorUser user)
    {
        var result = await UpdateSecurityStampAsync(user);
        if (result.Succeeded)
        {
            await EndSessionsAsync(user);
            await RecordEventAsync(user, SecurityEventKinds.SignedOutElsewhere);
        }
        return result;
    }

    /// <summary>Ends one of the user's sessions (never another user's); true when it was live.</summary>
    public virtual async Task<bool> EndSessionAsync(TwoFactorUser user, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (_sessions is null || !await _sessions.EndAsync(user.Id, sessionId, CancellationToken))
        {
            return false;
        }
        await RecordEventAsync(user, SecurityEventKinds.SessionEnded);
        return true;
    }

    /// <summary>The user's live sessions (server-side sessions registered), most recently seen first.</summary>
    public virtual Task<IReadOnlyList<UserSession>> ListSessionsAsync(TwoFactorUser user) =>
        _sessions is null ? Task.FromResult<IReadOnlyList<UserSession>>([]) : _sessions.ListAsync(user.Id, CancellationToken);

    /// <summary>Ends every session of the user but the current request's own (whose caller signs it in again with the new
    /// security stamp).</summary>
    private Task EndSessionsAsync(TwoFactorUser user) =>
        _sessions is null ? Task.CompletedTask : _sessions.EndOthersAsync(user.Id, CancellationToken);

    /// <summary>Adds an event to the account's security activity (when a log is registered).</summary>
    public virtual Task RecordEventAsync(TwoFactorUser user, string kind) =>
        _events is null ? Task.CompletedTask : _events.RecordAsync(user.Id, kind, cancellationToken: CancellationToken);

    public virtual Task<CodeState> GetCodeStateAsync(TwoFactorUser user, string purpose)
        => Codes.GetStateAsync(purpose, user);

    /// <summary>Identity's reset (code checked by our provider, new hash, new security stamp so other sessions
    /// end), then the lock and failure count are cleared: the texted code proved the owner.</summary>
    public override async Task<IdentityResult> ResetPasswordAsync(TwoFactorUser user, string token, string newPassword)
    {
        var wasLocked = await IsLockedOutAsync(user);
        // The slot is taken before the code is checked (and consumed): a busy answer leaves the code usable.
        var result = await Hashing.RunAsync(() => base.ResetPasswordAsync(user, token, newPassword));
        if (result.Succeeded)
        {
            await FinishPasswordResetAsync(user, wasLocked, SecurityEventKinds.PasswordReset, "Your password was just reset with a texted code.");
        }
        else if (result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.InvalidToken)))
        {
            await RecordEventAsync(user, SecurityEventKinds.CodeFailed);
        }
        return result;
    }

    /// <summary>After a password reset with any second factor (texted code, recovery code, authenticator app): the lock
    /// and failure count cleared (counted as an unlock when the account was locked), every other session ended, the event
    /// recorded, and a notice texted to the account's phone.</summary>
    private async Task FinishPasswordResetAsync(TwoFactorUser user, bool wasLocked, string eventKind, string notice)
    {
        await UnlockAsync(user);
        if (wasLocked)
        {
            Metrics.RecordUnlock(UnlockMethods.PasswordReset);
        }
        await EndSessionsAsync(user);
        await RecordEventAsync(user, eventKind);
        await Codes.SendNoticeAsync(user.PhoneNumber, notice);
    }

    /// <summary>Changing the phone number drops outstanding codes (see the store) and needs a new confirmation.</summary>
    public virtual async Task RemoveCodesAsync(TwoFactorUser user) =>
        await CodeStore.RemoveCodesAsync(user, CancellationToken);
}
