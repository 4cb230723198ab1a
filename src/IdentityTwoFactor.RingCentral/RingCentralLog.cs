using IdentityTwoFactor.Sms;
using Microsoft.Extensions.Logging;

namespace IdentityTwoFactor.RingCentral;

/// <summary>All log lines of the RingCentral client (event ids 3010-3099; the host's own SMS lines use 3000-3009).
/// Phone numbers arrive already masked; texts, tokens and credentials never arrive.</summary>
internal static partial class RingCentralLog
{
    [LoggerMessage(3010, LogLevel.Debug, "Requesting a RingCentral access token (attempt {Attempt})")]
    public static partial void RequestingToken(ILogger logger, int attempt);

    [LoggerMessage(3011, LogLevel.Information, "RingCentral access token obtained, valid for {ExpiresIn}")]
    public static partial void TokenObtained(ILogger logger, TimeSpan expiresIn);

    [LoggerMessage(3012, LogLevel.Error, "RingCentral refused the access token request: HTTP {StatusCode}, error code {ErrorCode}")]
    public static partial void TokenRefused(ILogger logger, int statusCode, string? errorCode);

    [LoggerMessage(3013, LogLevel.Warning, "RingCentral access token request failed ({Reason}); retrying in {Delay}")]
    public static partial void TokenRetry(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(3014, LogLevel.Error, "RingCentral access token request failed ({Reason}); giving up")]
    public static partial void TokenUnavailable(ILogger logger, string reason);

    [LoggerMessage(3020, LogLevel.Information, "SMS to {To} accepted by RingCentral: message {MessageId}, status {MessageStatus}")]
    public static partial void SmsAccepted(ILogger logger, string to, string? messageId, string? messageStatus);

    [LoggerMessage(3021, LogLevel.Warning, "RingCentral rejected the access token for the SMS to {To}; renewing it and retrying once")]
    public static partial void SmsUnauthorizedRetrying(ILogger logger, string to);

    [LoggerMessage(3022, LogLevel.Error, "RingCentral rejected a freshly issued access token for the SMS to {To}; check the app's SMS permission and the user's OutboundSMS permission")]
    public static partial void SmsUnauthorizedTwice(ILogger logger, string to);

    [LoggerMessage(3023, LogLevel.Warning, "RingCentral rate-limited the SMS to {To}: error code {ErrorCode}, retry after {RetryAfter}")]
    public static partial void SmsRateLimited(ILogger logger, string to, string? errorCode, TimeSpan retryAfter);

    [LoggerMessage(3024, LogLevel.Warning, "RingCentral refused the SMS to {To}: HTTP {StatusCode}, error code {ErrorCode}, classified {Failure}")]
    public static partial void SmsRefused(ILogger logger, string to, int statusCode, string? errorCode, SmsFailureKind failure);

    [LoggerMessage(3025, LogLevel.Warning, "RingCentral answered the SMS to {To} with status {MessageStatus}: not sent")]
    public static partial void SmsNotSent(ILogger logger, string to, string? messageStatus);

    [LoggerMessage(3026, LogLevel.Error, "The SMS to {To} may or may not have been sent ({Reason}); not retried, to avoid texting twice")]
    public static partial void SmsOutcomeUnknown(ILogger logger, string to, string reason);

    [LoggerMessage(3027, LogLevel.Warning, "The SMS to {To} was not sent: no access token ({Failure})")]
    public static partial void SmsNoToken(ILogger logger, string to, SmsFailureKind failure);

    [LoggerMessage(3028, LogLevel.Warning, "The SMS to {To} was not sent: RingCentral is turned off (RingCentralOptions.Enabled is false)")]
    public static partial void SmsDisabled(ILogger logger, string to);
}
