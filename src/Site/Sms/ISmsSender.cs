namespace IdentityTwoFactor.Sms;

/// <summary>Sends one text message to one E.164 number. Implementations never throw for provider faults:
/// they return a typed failure so callers can show a retryable message and keep nothing as "sent".</summary>
public interface ISmsSender
{
    Task<SmsSendResult> SendAsync(string toE164, string text, CancellationToken cancellationToken = default);
}

public enum SmsFailureKind
{
    /// <summary>The provider refused this recipient (blocked, opted out with STOP, invalid): retrying will not help soon.</summary>
    RejectedNumber,
    /// <summary>The provider (or our own budget) refused for now; <see cref="SmsSendResult.RetryAfter"/> says when to try again.</summary>
    RateLimited,
    /// <summary>5xx, timeout, dropped connection, SendingFailed: the message may or may not have gone; do not retry automatically.</summary>
    ProviderUnavailable,
    /// <summary>Our credentials, from number or permissions are wrong: an operator must act.</summary>
    Misconfigured,
}

public sealed record SmsSendResult
{
    public bool Succeeded { get; private init; }
    public string? MessageId { get; private init; }
    public SmsFailureKind? Failure { get; private init; }
    public TimeSpan? RetryAfter { get; private init; }
    /// <summary>The provider's error code (for example MSG-243), never its free-text message.</summary>
    public string? ErrorCode { get; private init; }

    public static SmsSendResult Sent(string? messageId) => new() { Succeeded = true, MessageId = messageId };

    public static SmsSendResult Failed(SmsFailureKind kind, string? errorCode = null, TimeSpan? retryAfter = null) =>
        new() { Failure = kind, ErrorCode = errorCode, RetryAfter = retryAfter };
}
