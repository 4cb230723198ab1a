using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>The state of the live code of one purpose, read without consuming anything.</summary>
public enum CodeState
{
    Missing,
    Expired,
    Live,
}

/// <summary>The result of texting a code.</summary>
public sealed record SendCodeResult(bool Sent, string? MaskedPhone, SmsSendResult? Failure = null, BudgetDecision? Refused = null)
{
    public static SendCodeResult NoPhone { get; } = new(false, null);

    /// <summary>Not sent: codes go only to confirmed numbers (<c>TwoFactor:RequireConfirmedPhone</c>).</summary>
    public bool PhoneNotConfirmed { get; init; }
}

/// <summary>
/// The site's texted codes: the library's <see cref="SmsCodeTokenProvider{TUser}"/> (6 digits from a CSPRNG, a keyed hash
/// bound to user, purpose and number, constant-time comparison, one use, one try per client and code, a daily bound on
/// tries) with what the site adds: texting through its budgets (<see cref="SendAsync(string, UserManager{TwoFactorUser}, TwoFactorUser, bool, bool, CancellationToken)"/>),
/// the site's words in the texts, notices, log lines by purpose kind, and the plain rule for a signup's phone
/// confirmation. Registered by the site's <c>IdentityBuilder.AddSmsTwoFactor</c>.
/// </summary>
public partial class SmsCodeTokenProvider : SmsCodeTokenProvider<TwoFactorUser>
{
    private readonly IUserStore<TwoFactorUser> store;
    private readonly TimeProvider time;
    private readonly IOptions<TwoFactorOptions> options;
    private readonly IServiceProvider services;
    private readonly ILogger<SmsCodeTokenProvider> logger;
    private readonly SmsTwoFactorMetrics metrics;

    public SmsCodeTokenProvider(
        IUserStore<TwoFactorUser> store,
        ISmsCodeGenerator generator,
        SmsCodeHasher hasher,
        TimeProvider time,
        IOptions<SmsTwoFactorOptions> codeOptions,
        IOptions<TwoFactorOptions> options,
        IServiceProvider services,
        ILogger<SmsCodeTokenProvider> logger,
        SmsTwoFactorMetrics metrics,
        ISmsCodeClient clients) : base(store, generator, hasher, time, codeOptions, metrics, clients)
    {
        this.store = store;
        this.time = time;
        this.options = options;
        this.services = services;
        this.logger = logger;
        this.metrics = metrics;
    }

    private IUserCodeStore<TwoFactorUser> Codes => store as IUserCodeStore<TwoFactorUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserCodeStore<TwoFactorUser>)} to keep texted codes.");

    /// <summary>Texts a notice (no code) when <c>TwoFactor:Notices</c> is on, or <paramref name="always"/> (a change of
    /// the number itself, which its owners must hear of). A failed notice is logged, never fatal.</summary>
    public virtual async Task SendNoticeAsync(string? phone, string what, bool always = false, CancellationToken cancellationToken = default)
    {
        if ((!options.Value.Notices && !always) || string.IsNullOrEmpty(phone))
        {
            return;
        }
        var sent = await services.GetRequiredService<ISmsSender>().SendAsync(phone, what + " If this wasn't you, reset your password now.", cancellationToken);
        if (!sent.Succeeded)
        {
            LogSendFailed(logger, "notice", PhoneMask.Mask(phone), sent.Failure, sent.ErrorCode);
        }
        metrics.RecordText("notice", sent.Succeeded ? SmsTwoFactorMetrics.Sent : SmsTwoFactorMetrics.ProviderFailed);
    }

    private static bool ConfirmsItsNumber(string purpose) =>
        purpose == CodePurposes.ConfirmPhone || purpose.StartsWith(ChangePhonePrefix, StringComparison.Ordinal);

    /// <summary>Texts a fresh code for <paramref name="purpose"/>. It becomes the live code only once the SMS
    /// provider accepted it; after a failure the previous code (if any) stays as it was.</summary>
    public virtual Task<SendCodeResult> SendAsync(string purpose, UserManager<TwoFactorUser> manager, TwoFactorUser user, CancellationToken cancellationToken = default)
        => SendAsync(purpose, manager, user, ignoreCooldown: false, cancellationToken);

    /// <summary>Texts a fresh code for <paramref name="purpose"/>; see the last overload.</summary>
    /// <param name="ignoreCooldown">For the text sent when an account locks: it happens once per lock, and only the
    /// owner can end the lock, so it cannot be repeated to pump texts; the hourly and daily caps still apply.</param>
    public virtual Task<SendCodeResult> SendAsync(string purpose, UserManager<TwoFactorUser> manager, TwoFactorUser user,
        bool ignoreCooldown, CancellationToken cancellationToken = default)
        => SendAsync(purpose, manager, user, ignoreCooldown, accountClaimedByCaller: false, cancellationToken);

    /// <summary>Texts a fresh code for <paramref name="purpose"/>; see the other overloads.</summary>
    /// <param name="accountClaimedByCaller">The caller (a form anyone can post) already claimed the per-email budget
    /// that stands for this account's; only the shared budgets are claimed here. A failed send does not refund the
    /// caller's claim: the caller does.</param>
    public virtual async Task<SendCodeResult> SendAsync(string purpose, UserManager<TwoFactorUser> manager, TwoFactorUser user,
        bool ignoreCooldown, bool accountClaimedByCaller, CancellationToken cancellationToken)
    {
        var phone = await PhoneForAsync(purpose, manager, user);
        if (string.IsNullOrEmpty(phone))
        {
            return SendCodeResult.NoPhone;
        }
        var masked = PhoneMask.Mask(phone);
        var kind = CodePurposes.KindOf(purpose);
        if (options.Value.RequireConfirmedPhone && !ConfirmsItsNumber(purpose) && !await manager.IsPhoneNumberConfirmedAsync(user))
        {
            return new SendCodeResult(false, masked) { PhoneNotConfirmed = true };
        }
        var budget = services.GetRequiredService<ISmsBudget>();
        var account = accountClaimedByCaller
            ? BudgetDecision.Free
            : await budget.TryClaimAccountAsync(budget.KeyForAccount(await manager.GetUserIdAsync(user), await manager.GetEmailAsync(user)), ignoreCooldown, cancellationToken);
        if (!account.Allowed)
        {
            LogSendRefused(logger, kind, masked, account.Refusal);
            metrics.RecordText(purpose, SmsTwoFactorMetrics.RefusedTag(account.Refusal.ToString()));
            return new SendCodeResult(false, masked, Refused: account);
        }
        // Not cancellable from here on: a claim that stands is always refunded by the paths below.
        var shared = await budget.TryClaimSharedAsync(phone, CodePurposes.TextKindOf(purpose), CancellationToken.None);
        if (!shared.Allowed)
        {
            await account.Refund!();
            LogSendRefused(logger, kind, masked, shared.Refusal);
            metrics.RecordText(purpose, SmsTwoFactorMetrics.RefusedTag(shared.Refusal.ToString()));
            return new SendCodeResult(false, masked, Refused: shared);
        }
        var draft = await DraftAsync(purpose, manager, user);
        var minutes = (int)Math.Round(options.Value.CodeLifetime.TotalMinutes);
        var text = $"{draft.Code} is your verification code {PurposeText(purpose)}. It expires in {minutes} minute{(minutes == 1 ? "" : "s")}. Do not share it.";

        SmsSendResult sent;
        try
        {
            sent = await services.GetRequiredService<ISmsSender>().SendAsync(phone, text, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The client went away mid-send: not provably sent, so refunded exactly like a failed send.
            await shared.Refund!();
            await account.Refund!();
            LogSendCancelled(logger, kind, masked);
            metrics.RecordText(purpose, SmsTwoFactorMetrics.Cancelled);
            throw;
        }
        if (!sent.Succeeded)
        {
            // Not sent (or not provably sent): the user will retry, and should not wait out a cooldown for our fault.
            await shared.Refund!();
            await account.Refund!();
            LogSendFailed(logger, kind, masked, sent.Failure, sent.ErrorCode);
            metrics.RecordText(purpose, SmsTwoFactorMetrics.ProviderFailed);
            return new SendCodeResult(false, masked, sent);
        }
        await StoreAsync(user, draft);
        LogCodeSent(logger, kind, masked);
        metrics.RecordText(purpose, SmsTwoFactorMetrics.Sent);
        return new SendCodeResult(true, masked);
    }

    /// <summary>The library's check (<see cref="SmsCodeTokenProvider{TUser}.CheckAsync"/>), with a log line for every
    /// refusal, by purpose kind only (a phone-change purpose carries the full new number).</summary>
    public override async Task<SmsCodeCheckResult> CheckAsync(string purpose, string token, UserManager<TwoFactorUser> manager, TwoFactorUser user)
    {
        var result = await base.CheckAsync(purpose, token, manager, user);
        var reason = result switch
        {
            SmsCodeCheckResult.Wrong => "wrong",
            SmsCodeCheckResult.TooManyTries => "too many tries today",
            SmsCodeCheckResult.Missing => "no live code for this client",
            _ => null,
        };
        if (reason is not null)
        {
            var kind = CodePurposes.KindOf(purpose);
            LogCodeRejected(logger, kind, reason);
        }
        return result;
    }

    /// <summary>Per-client tries protect the owner's way back in (unlock, reset, sign-in, phone change). A signup's phone
    /// confirmation keeps the plain rule: its form answers anyone alike, so it must cost the same as for an unknown email,
    /// and a burnt confirmation code costs its owner only a resend.</summary>
    protected override string? ClientKeyFor(string purpose) =>
        purpose == CodePurposes.ConfirmPhone ? null : base.ClientKeyFor(purpose);

    /// <summary>Reads the live code's state without consuming it (to choose a message before a consuming call).</summary>
    public virtual async Task<CodeState> GetStateAsync(string purpose, TwoFactorUser user)
    {
        var live = await Codes.FindCodeAsync(user, purpose, CancellationToken.None);
        return live is null ? CodeState.Missing
            : time.GetUtcNow().UtcDateTime >= live.ExpiresUtc ? CodeState.Expired
            : CodeState.Live;
    }

    private static string PurposeText(string purpose) => purpose switch
    {
        CodePurposes.Unlock => "to unlock your account",
        CodePurposes.ResetPassword => "to reset your password",
        CodePurposes.ConfirmPhone => "to confirm this phone number",
        _ when purpose.StartsWith(ChangePhonePrefix, StringComparison.Ordinal) => "to confirm this phone number",
        _ when purpose.StartsWith(CodePurposes.ApprovePhoneChangePrefix, StringComparison.Ordinal) =>
            $"to approve moving your account to the mobile number {PhoneMask.Mask(purpose[CodePurposes.ApprovePhoneChangePrefix.Length..])}. If this wasn't you, reset your password now",
        _ => "to sign in",
    };

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Texted a code ({Purpose}) to {MaskedPhone}")]
    private static partial void LogCodeSent(ILogger logger, string purpose, string maskedPhone);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Could not text a code ({Purpose}) to {MaskedPhone}: {Failure} {ErrorCode}")]
    private static partial void LogSendFailed(ILogger logger, string purpose, string maskedPhone, SmsFailureKind? failure, string? errorCode);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Refused to text a code ({Purpose}) to {MaskedPhone}: {Refusal}")]
    private static partial void LogSendRefused(ILogger logger, string purpose, string maskedPhone, BudgetRefusal refusal);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Stopped texting a code ({Purpose}) to {MaskedPhone}: the request was cancelled; its budget is refunded")]
    private static partial void LogSendCancelled(ILogger logger, string purpose, string maskedPhone);

    // Purposes are logged by kind only (CodePurposes.KindOf): a phone-change purpose carries the full new number.
    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Rejected a code ({Purpose}): {Reason}")]
    private static partial void LogCodeRejected(ILogger logger, string purpose, string reason);
}
