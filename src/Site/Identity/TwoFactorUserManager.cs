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
    TimeProvider time)
    : UserManager<TwoFactorUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    private readonly ISecurityEventLog? _events = services.GetService(typeof(ISecurityEventLog)) as ISecurityEventLog;

    protected SmsCodeTokenProvider Codes { get; } = codes;
    protected TwoFactorOptions TwoFactor => twoFactorOptions.Value;
    protected TimeProvider Time { get; } = time;

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
    public virtual async Task<CodeCheckResult> CheckCodeAsync(TwoFactorUser user, string purpose, string code)
    {
        var result = await Codes.CheckAsync(purpose, code, this, user);
        if (result is CodeCheckResult.Wrong or CodeCheckResult.Expired)
        {
            await RecordEventAsync(user, SecurityEventKinds.CodeFailed);
        }
        return result;
    }

    public override async Task<IdentityResult> CreateAsync(TwoFactorUser user, string password)
    {
        var result = await base.CreateAsync(user, password);
        if (result.Succeeded)
        {
            await RecordEventAsync(user, SecurityEventKinds.SignedUp);
        }
        return result;
    }

    /// <summary>Identity's change (current password required, new security stamp so other sessions end), recorded,
    /// and a notice texted when notices are on.</summary>
    public override async Task<IdentityResult> ChangePasswordAsync(TwoFactorUser user, string currentPassword, string newPassword)
    {
        var result = await base.ChangePasswordAsync(user, currentPassword, newPassword);
        if (result.Succeeded)
        {
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

    /// <summary>Identity's change with a code texted to the new number (our provider binds it to that number). The
    /// old number gets a notice when notices are on; confirming the current number is recorded as a confirmation.</summary>
    public override async Task<IdentityResult> ChangePhoneNumberAsync(TwoFactorUser user, string phoneNumber, string token)
    {
        var old = user.PhoneNumber;
        var result = await base.ChangePhoneNumberAsync(user, phoneNumber, token);
        if (result.Succeeded)
        {
            var changed = !string.Equals(old, phoneNumber, StringComparison.Ordinal);
            await RecordEventAsync(user, changed ? SecurityEventKinds.PhoneChanged : SecurityEventKinds.PhoneConfirmed);
            if (changed)
            {
                await Codes.SendNoticeAsync(old, "The mobile phone number of your account was just changed.");
            }
        }
        else
        {
            await RecordEventAsync(user, SecurityEventKinds.CodeFailed);
        }
        return result;
    }

    /// <summary>Confirms the user's current number with a texted ConfirmPhone code.</summary>
    public virtual async Task<CodeCheckResult> ConfirmPhoneAsync(TwoFactorUser user, string code)
    {
        var result = await CheckCodeAsync(user, CodePurposes.ConfirmPhone, code);
        if (result == CodeCheckResult.Valid)
        {
            user.PhoneNumberConfirmed = true;
            await UpdateUserAsync(user);
            await RecordEventAsync(user, SecurityEventKinds.PhoneConfirmed);
        }
        return result;
    }

    /// <summary>Ends every other session: a new security stamp fails their cookies at the next validation.</summary>
    public virtual async Task<IdentityResult> SignOutEverywhereElseAsync(TwoFactorUser user)
    {
        var result = await UpdateSecurityStampAsync(user);
        if (result.Succeeded)
        {
            await RecordEventAsync(user, SecurityEventKinds.SignedOutElsewhere);
        }
        return result;
    }

    /// <summary>Adds an event to the account's security activity (when a log is registered).</summary>
    public virtual Task RecordEventAsync(TwoFactorUser user, string kind) =>
        _events is null ? Task.CompletedTask : _events.RecordAsync(user.Id, kind, CancellationToken);

    public virtual Task<CodeState> GetCodeStateAsync(TwoFactorUser user, string purpose)
        => Codes.GetStateAsync(purpose, user);

    /// <summary>Identity's reset (code checked by our provider, new hash, new security stamp so other sessions
    /// end), then the lock and failure count are cleared: the texted code proved the owner.</summary>
    public override async Task<IdentityResult> ResetPasswordAsync(TwoFactorUser user, string token, string newPassword)
    {
        var result = await base.ResetPasswordAsync(user, token, newPassword);
        if (result.Succeeded)
        {
            await UnlockAsync(user);
            await RecordEventAsync(user, SecurityEventKinds.PasswordReset);
            await Codes.SendNoticeAsync(user.PhoneNumber, "Your password was just reset with a texted code.");
        }
        else if (result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.InvalidToken)))
        {
            await RecordEventAsync(user, SecurityEventKinds.CodeFailed);
        }
        return result;
    }

    /// <summary>Changing the phone number drops outstanding codes (see the store) and needs a new confirmation.</summary>
    public virtual async Task RemoveCodesAsync(TwoFactorUser user) =>
        await CodeStore.RemoveCodesAsync(user, CancellationToken);
}
