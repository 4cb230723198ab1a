namespace IdentityTwoFactor.Sms;

/// <summary>The outcome of one <see cref="ISmsSender.SendAsync"/>: sent (with the provider's message id) or a typed failure.</summary>
public sealed record SmsSendResult
{
    // Only through Sent and Failed, so a result is always one or the other.
    private SmsSendResult()
    {
    }

    /// <summary>True when the provider accepted the message.</summary>
    public bool Succeeded { get; private init; }

    /// <summary>The provider's id for the accepted message, when it gave one.</summary>
    public string? MessageId { get; private init; }

    /// <summary>Why the message was not sent; null when it was.</summary>
    public SmsFailureKind? Failure { get; private init; }

    /// <summary>When <see cref="Failure"/> is <see cref="SmsFailureKind.RateLimited"/>: how long to wait before trying again.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>The provider's error code (for example MSG-243), never its free-text message.</summary>
    public string? ErrorCode { get; private init; }

    /// <summary>A message the provider accepted.</summary>
    /// <param name="messageId">The provider's id for it, if any.</param>
    public static SmsSendResult Sent(string? messageId) => new() { Succeeded = true, MessageId = messageId };

    /// <summary>A message that was not sent.</summary>
    /// <param name="kind">Why, in the terms a caller acts on.</param>
    /// <param name="errorCode">The provider's error code, never its message text.</param>
    /// <param name="retryAfter">For <see cref="SmsFailureKind.RateLimited"/>: how long to wait.</param>
    public static SmsSendResult Failed(SmsFailureKind kind, string? errorCode = null, TimeSpan? retryAfter = null) =>
        new() { Failure = kind, ErrorCode = errorCode, RetryAfter = retryAfter };
}
