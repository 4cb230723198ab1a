namespace IdentityTwoFactor.Sms;

/// <summary>The site's SMS log lines (event ids 3000-3009; the RingCentral client logs 3010-3099 through its own
/// RingCentralLog). Phone numbers arrive already masked; texts, tokens and credentials never arrive.</summary>
internal static partial class SmsLog
{
    [LoggerMessage(3000, LogLevel.Information, "SMS messages go to the development outbox at /dev/outbox; no text is sent")]
    public static partial void UsingDevelopmentOutbox(ILogger logger);

    [LoggerMessage(3001, LogLevel.Information, "SMS messages are sent through RingCentral at {ServerUrl} from {FromNumber}")]
    public static partial void UsingRingCentral(ILogger logger, string serverUrl, string fromNumber);

    [LoggerMessage(3002, LogLevel.Information, "SMS to {To} stored in the development outbox")]
    public static partial void StoredInOutbox(ILogger logger, string to);
}
