namespace IdentityTwoFactor.Sms;

/// <summary>Why an <see cref="ISmsSender"/> did not send a message, in the terms a caller acts on.</summary>
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
