using System.Globalization;
using IdentityTwoFactor.Budgets;
using IdentityTwoFactor.Events;
using IdentityTwoFactor.Lockout;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Codes;

/// <summary>What happened to a code the app asked to text.</summary>
public enum SmsCodeSendStatus
{
    /// <summary>The SMS provider accepted the text; the code is live.</summary>
    Sent,

    /// <summary>The user has no phone number.</summary>
    NoPhone,

    /// <summary>The number is not confirmed and <see cref="SmsTwoFactorOptions.RequireConfirmedPhone"/> is on.</summary>
    PhoneNotConfirmed,

    /// <summary>A budget refused the text (<see cref="SmsCodeSendResult.Refusal"/>, <see cref="SmsCodeSendResult.RetryAfter"/>).</summary>
    Refused,

    /// <summary>The SMS provider did not take the text (<see cref="SmsCodeSendResult.Failure"/>); nothing was spent.</summary>
    Failed,
}

/// <summary>The result of <see cref="SmsCodeSender{TUser}.SendAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="MaskedPhone">The number as it may be shown (all but the last four digits hidden), when there is one.</param>
public sealed record SmsCodeSendResult(SmsCodeSendStatus Status, string? MaskedPhone)
{
    /// <summary>Why a budget refused, for <see cref="SmsCodeSendStatus.Refused"/>.</summary>
    public SmsBudgetRefusal Refusal { get; init; }

    /// <summary>How long until a text can go, for <see cref="SmsCodeSendStatus.Refused"/>.</summary>
    public TimeSpan RetryAfter { get; init; }

    /// <summary>The provider's answer, for <see cref="SmsCodeSendStatus.Failed"/>.</summary>
    public SmsSendResult? Failure { get; init; }
}

/// <summary>
/// Texts codes: checks the budgets, has <see cref="SmsCodeTokenProvider{TUser}"/> draft the code, composes the message
/// from <see cref="SmsTwoFactorOptions.MessageTemplate"/>, sends it through <see cref="ISmsSender"/>, and stores the code
/// only once the provider took the text (a failed resend leaves the code already on the phone working); on a failure it
/// refunds the budgets. A sent code is recorded as a security event. Logs name the purpose's kind and the masked number,
/// never the code or the full number.
/// </summary>
/// <typeparam name="TUser">The user type.</typeparam>
public partial class SmsCodeSender<TUser>
    where TUser : class
{
    private readonly UserManager<TUser> _users;
    private readonly SmsCodeTokenProvider<TUser> _codes;
    private readonly SmsBudget _budget;
    private readonly ISmsSender _sms;
    private readonly IOptions<SmsTwoFactorOptions> _options;
    private readonly ILogger _logger;
    private readonly SmsTwoFactorMetrics _metrics;
    private readonly ISecurityEventLog _events;

    /// <summary>Creates the sender.</summary>
    /// <param name="users">Identity's user manager.</param>
    /// <param name="codes">The code provider.</param>
    /// <param name="budget">The SMS budgets.</param>
    /// <param name="sms">The SMS provider.</param>
    /// <param name="options">The library's options.</param>
    /// <param name="logger">The log.</param>
    /// <param name="metrics">Counts the texts by purpose and outcome.</param>
    /// <param name="events">Records each sent code in the account's security events.</param>
    public SmsCodeSender(UserManager<TUser> users, SmsCodeTokenProvider<TUser> codes, SmsBudget budget, ISmsSender sms,
        IOptions<SmsTwoFactorOptions> options, ILogger<SmsCodeSender<TUser>> logger, SmsTwoFactorMetrics metrics, ISecurityEventLog events)
    {
        (_users, _codes, _budget, _sms, _options, _logger, _metrics, _events) = (users, codes, budget, sms, options, logger, metrics, events);
    }

    /// <summary>Texts a fresh code for <paramref name="purpose"/> to the user's number (or, for Identity's change-phone
    /// purposes, to the new number).</summary>
    /// <param name="user">The user.</param>
    /// <param name="purpose">The token purpose, for example <see cref="SmsTwoFactorLockout.UnlockPurpose"/>.</param>
    /// <param name="ignoreCooldown">Skip the account's cooldown (the text sent once when an account locks).</param>
    /// <param name="cancellationToken">Cancels before the text is handed over; a cancelled send is refunded.</param>
    /// <returns>What happened.</returns>
    public virtual async Task<SmsCodeSendResult> SendAsync(TUser user, string purpose, bool ignoreCooldown = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        var phone = await _codes.PhoneForAsync(purpose, _users, user);
        if (string.IsNullOrEmpty(phone))
        {
            return new SmsCodeSendResult(SmsCodeSendStatus.NoPhone, null);
        }
        var masked = PhoneMask.Mask(phone);
        var kind = KindOf(purpose);
        var changesNumber = purpose.StartsWith(SmsCodeTokenProvider<TUser>.ChangePhonePrefix, StringComparison.Ordinal);
        if (_options.Value.RequireConfirmedPhone && !changesNumber && !await _users.IsPhoneNumberConfirmedAsync(user))
        {
            return new SmsCodeSendResult(SmsCodeSendStatus.PhoneNotConfirmed, masked);
        }
        cancellationToken.ThrowIfCancellationRequested();
        var claim = await _budget.TryClaimAsync(await _users.GetUserIdAsync(user), phone, ignoreCooldown);
        if (!claim.Allowed)
        {
            LogRefused(_logger, kind, masked, claim.Refusal);
            _metrics.RecordText(purpose, SmsTwoFactorMetrics.RefusedTag(claim.Refusal.ToString()));
            return new SmsCodeSendResult(SmsCodeSendStatus.Refused, masked) { Refusal = claim.Refusal, RetryAfter = claim.RetryAfter };
        }
        var draft = await _codes.DraftAsync(purpose, _users, user);
        SmsSendResult sent;
        try
        {
            sent = await _sms.SendAsync(phone, Compose(draft.Code, purpose), cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Not provably sent: refunded like a failed send, so the user does not wait out a budget for our fault.
            await claim.RefundAsync();
            _metrics.RecordText(purpose, SmsTwoFactorMetrics.Cancelled);
            throw;
        }
        if (!sent.Succeeded)
        {
            await claim.RefundAsync();
            LogFailed(_logger, kind, masked, sent.Failure);
            _metrics.RecordText(purpose, SmsTwoFactorMetrics.ProviderFailed);
            return new SmsCodeSendResult(SmsCodeSendStatus.Failed, masked) { Failure = sent };
        }
        // Only now the code becomes the live one: the text went.
        await _codes.StoreAsync(user, draft);
        await _events.RecordAsync(draft.Row.UserId, SecurityEventKinds.CodeSent, cancellationToken: CancellationToken.None);
        LogSent(_logger, kind, masked);
        _metrics.RecordText(purpose, SmsTwoFactorMetrics.Sent);
        return new SmsCodeSendResult(SmsCodeSendStatus.Sent, masked);
    }

    /// <summary>The text of the message for <paramref name="code"/>.</summary>
    /// <param name="code">The code.</param>
    /// <param name="purpose">The purpose.</param>
    /// <returns>The message.</returns>
    protected virtual string Compose(string code, string purpose)
    {
        var minutes = (int)Math.Round(_options.Value.CodeLifetime.TotalMinutes);
        return _options.Value.MessageTemplate
            .Replace("{code}", code, StringComparison.Ordinal)
            .Replace("{purpose}", DescribePurpose(purpose), StringComparison.Ordinal)
            .Replace("{minutes}", minutes.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>What the code is for, in words that follow "code" in the message. Override for other languages.</summary>
    /// <param name="purpose">The purpose.</param>
    /// <returns>For example "to unlock your account".</returns>
    protected virtual string DescribePurpose(string purpose) => purpose switch
    {
        SmsTwoFactorLockout.UnlockPurpose => "to unlock your account",
        "ResetPassword" => "to reset your password",
        "TwoFactor" => "to sign in",
        _ when purpose.StartsWith(SmsCodeTokenProvider<TUser>.ChangePhonePrefix, StringComparison.Ordinal) => "to confirm this phone number",
        _ => "to confirm it's you",
    };

    /// <summary>The purpose for logs: a change-phone purpose carries the full new number, which logs must not show.</summary>
    private static string KindOf(string purpose) =>
        purpose.StartsWith(SmsCodeTokenProvider<TUser>.ChangePhonePrefix, StringComparison.Ordinal) ? "change-phone" : purpose;

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Texted a code ({Purpose}) to {MaskedPhone}")]
    private static partial void LogSent(ILogger logger, string purpose, string maskedPhone);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Could not text a code ({Purpose}) to {MaskedPhone}: {Failure}")]
    private static partial void LogFailed(ILogger logger, string purpose, string maskedPhone, SmsFailureKind? failure);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Refused to text a code ({Purpose}) to {MaskedPhone}: {Refusal}")]
    private static partial void LogRefused(ILogger logger, string purpose, string maskedPhone, SmsBudgetRefusal refusal);
}
