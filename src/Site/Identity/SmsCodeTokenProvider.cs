using System.Security.Cryptography;
using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Sms;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>What a submitted code turned out to be. The pages show a different message for each.</summary>
public enum CodeCheckResult
{
    Valid,
    /// <summary>Wrong digits: the live code is burnt (one guess per code).</summary>
    Wrong,
    /// <summary>The live code was past its lifetime; it is deleted.</summary>
    Expired,
    /// <summary>No live code for this purpose (never sent, already used, or burnt).</summary>
    Missing,
    /// <summary>Not checked: the account's codes met <c>TwoFactor:MaxWrongCodesPerDay</c> tries in the last 24 hours.</summary>
    TooManyTries,
}

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
/// An <see cref="IUserTwoFactorTokenProvider{TUser}"/> for texted codes, fixing what the built-in phone provider
/// lacks: a code is 6 digits from a CSPRNG, lives a configurable time (default one hour), is stored only as an
/// HMAC bound to user, purpose and phone, is compared in constant time, is used at most once (consumed by one
/// conditional delete), and burns on the first wrong guess. One live code per user and purpose; a new one
/// replaces the old. Register it with <c>IdentityBuilder.AddSmsTwoFactor</c>.
/// </summary>
public partial class SmsCodeTokenProvider(
    IUserStore<TwoFactorUser> store,
    ICodeGenerator generator,
    CodeHasher hasher,
    TimeProvider time,
    IOptions<TwoFactorOptions> options,
    IServiceProvider services,
    ILogger<SmsCodeTokenProvider> logger,
    SmsTwoFactorMetrics metrics,
    ISmsCodeClient? clients = null) : IUserTwoFactorTokenProvider<TwoFactorUser>
{
    public const string ProviderName = "SmsCode";

    private IUserCodeStore<TwoFactorUser> Codes => store as IUserCodeStore<TwoFactorUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserCodeStore<TwoFactorUser>)} to keep texted codes.");

    /// <summary>Purposes of the form <c>ChangePhoneNumber:+1...</c> (Identity's) carry the number the code goes to.</summary>
    public const string ChangePhonePrefix = CodePurposes.ChangePhonePrefix;

    /// <summary>Sign-in codes need a number to text; with <c>TwoFactor:RequireConfirmedPhone</c>, a confirmed one.</summary>
    public virtual async Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<TwoFactorUser> manager, TwoFactorUser user)
        => !string.IsNullOrEmpty(await manager.GetPhoneNumberAsync(user))
           && (!options.Value.RequireConfirmedPhone || await manager.IsPhoneNumberConfirmedAsync(user));

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

    /// <summary>The number a code of this purpose is texted to and bound to.</summary>
    protected virtual async Task<string?> PhoneForAsync(string purpose, UserManager<TwoFactorUser> manager, TwoFactorUser user) =>
        purpose.StartsWith(ChangePhonePrefix, StringComparison.Ordinal)
            ? purpose[ChangePhonePrefix.Length..]
            : await manager.GetPhoneNumberAsync(user);

    private static bool ConfirmsItsNumber(string purpose) =>
        purpose == CodePurposes.ConfirmPhone || purpose.StartsWith(ChangePhonePrefix, StringComparison.Ordinal);

    /// <summary>Identity's contract: makes and stores a code, returns it; the caller delivers it.
    /// The site uses <see cref="SendAsync"/>, which texts the code before storing it.</summary>
    public virtual async Task<string> GenerateAsync(string purpose, UserManager<TwoFactorUser> manager, TwoFactorUser user)
    {
        var (code, row) = await NewCodeAsync(purpose, manager, user);
        await Codes.ReplaceCodeAsync(user, row, CancellationToken.None);
        return code;
    }

    /// <summary>Identity's bool contract over <see cref="CheckAsync"/>.</summary>
    public virtual async Task<bool> ValidateAsync(string purpose, string token, UserManager<TwoFactorUser> manager, TwoFactorUser user)
        => await CheckAsync(purpose, token, manager, user) == CodeCheckResult.Valid;

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
        var (code, row) = await NewCodeAsync(purpose, manager, user);
        var minutes = (int)Math.Round(options.Value.CodeLifetime.TotalMinutes);
        var text = $"{code} is your verification code {PurposeText(purpose)}. It expires in {minutes} minute{(minutes == 1 ? "" : "s")}. Do not share it.";

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
        await Codes.ReplaceCodeAsync(user, row, CancellationToken.None);
        LogCodeSent(logger, kind, masked);
        metrics.RecordText(purpose, SmsTwoFactorMetrics.Sent);
        return new SendCodeResult(true, masked);
    }

    /// <summary>
    /// Checks and consumes: a valid code is deleted by exactly one caller; an expired one is deleted. A wrong code is
    /// burnt for the client that tried it: with an <see cref="ISmsCodeClient"/> that knows the client, for that client
    /// alone (each client gets one try per code, recorded before the comparison), so a stranger who knows the email
    /// cannot burn the code on the owner's phone; otherwise for everyone. The tries at a user's codes are bounded by
    /// <c>TwoFactor:MaxWrongCodesPerDay</c> in any 24 hours.
    /// </summary>
    public virtual async Task<CodeCheckResult> CheckAsync(string purpose, string token, UserManager<TwoFactorUser> manager, TwoFactorUser user)
    {
        var result = await CheckAndConsumeAsync(purpose, token, manager, user);
        metrics.RecordCodeCheck(purpose, result switch
        {
            CodeCheckResult.Valid => CodeCheckResults.Valid,
            CodeCheckResult.Wrong => CodeCheckResults.Wrong,
            CodeCheckResult.Expired => CodeCheckResults.Expired,
            CodeCheckResult.TooManyTries => CodeCheckResults.TooManyTries,
            _ => CodeCheckResults.Missing,
        });
        return result;
    }

    private async Task<CodeCheckResult> CheckAndConsumeAsync(string purpose, string token, UserManager<TwoFactorUser> manager, TwoFactorUser user)
    {
        var live = await Codes.FindCodeAsync(user, purpose, CancellationToken.None);
        if (live is null)
        {
            return CodeCheckResult.Missing;
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (now >= live.ExpiresUtc)
        {
            await Codes.TryConsumeCodeAsync(live, CancellationToken.None);
            return CodeCheckResult.Expired;
        }

        var kind = CodePurposes.KindOf(purpose);
        // Per-client tries protect the owner's way back in (unlock, reset, sign-in, phone change). A signup's phone
        // confirmation keeps the plain rule: its form answers anyone alike, so it must cost the same as for an unknown
        // email, and a burnt confirmation code costs its owner only a resend.
        var client = purpose == CodePurposes.ConfirmPhone ? null : clients?.CurrentClientKey();
        if (client is not null)
        {
            // Both statements on every path, so a repeated try costs what a first one does (no timing to read).
            var recorded = await Codes.TryRecordGuessAsync(live, client, now, CancellationToken.None);
            var tries = await Codes.CountGuessesSinceAsync(user, now - TimeSpan.FromDays(1), CancellationToken.None);
            if (!recorded)
            {
                // For this client the code is used up, as if burnt: no live code (and no second "wrong code" event).
                LogCodeRejected(logger, kind, "already tried by this client");
                return CodeCheckResult.Missing;
            }
            if (tries > options.Value.MaxWrongCodesPerDay)
            {
                LogCodeRejected(logger, kind, "too many tries today");
                return CodeCheckResult.TooManyTries;
            }
        }

        var candidate = CodeHasher.IsWellFormed(token)
            ? hasher.Hash(await manager.GetUserIdAsync(user), purpose, await PhoneForAsync(purpose, manager, user), token)
            : new byte[32];
        var matches = CryptographicOperations.FixedTimeEquals(candidate, live.CodeHash);

        if (matches)
        {
            // Delete exactly the row compared against: only one parallel caller wins.
            if (await Codes.TryConsumeCodeAsync(live, CancellationToken.None))
            {
                if (client is not null)
                {
                    await Codes.ForgetGuessAsync(live, client, CancellationToken.None);
                }
                return CodeCheckResult.Valid;
            }
            LogCodeRejected(logger, kind, "already used");
            return CodeCheckResult.Missing;
        }
        if (client is null)
        {
            // The tutorial's rule where clients cannot be told apart: the wrong guess burns the code for everyone.
            await Codes.TryConsumeCodeAsync(live, CancellationToken.None);
        }
        LogCodeRejected(logger, kind, "wrong");
        return CodeCheckResult.Wrong;
    }

    /// <summary>Reads the live code's state without consuming it (to choose a message before a consuming call).</summary>
    public virtual async Task<CodeState> GetStateAsync(string purpose, TwoFactorUser user)
    {
        var live = await Codes.FindCodeAsync(user, purpose, CancellationToken.None);
        return live is null ? CodeState.Missing
            : time.GetUtcNow().UtcDateTime >= live.ExpiresUtc ? CodeState.Expired
            : CodeState.Live;
    }

    private async Task<(string Code, SmsCode Row)> NewCodeAsync(string purpose, UserManager<TwoFactorUser> manager, TwoFactorUser user)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        var code = generator.NewCode();
        if (!CodeHasher.IsWellFormed(code))
        {
            throw new InvalidOperationException("The code generator must return exactly six ASCII digits.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        var userId = await manager.GetUserIdAsync(user);
        var row = new SmsCode
        {
            Id = Guid.NewGuid(),
            UserId = userId,
            Purpose = purpose,
            CodeHash = hasher.Hash(userId, purpose, await PhoneForAsync(purpose, manager, user), code),
            CreatedUtc = now,
            ExpiresUtc = now + options.Value.CodeLifetime,
        };
        return (code, row);
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
