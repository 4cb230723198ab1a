namespace IdentityTwoFactor.Sms;

/// <summary>Sends one text message to one E.164 number. Implementations never throw for provider faults:
/// they return a typed failure so callers can show a retryable message and keep nothing as "sent".</summary>
public interface ISmsSender
{
    /// <summary>Sends <paramref name="text"/> to <paramref name="toE164"/>.</summary>
    /// <param name="toE164">The recipient in E.164 form, for example <c>+16505551234</c>.</param>
    /// <param name="text">The message text.</param>
    /// <param name="cancellationToken">Cancels the send; the message may or may not have gone.</param>
    /// <returns><see cref="SmsSendResult.Sent"/> when the provider accepted the message, otherwise a typed failure.</returns>
    Task<SmsSendResult> SendAsync(string toE164, string text, CancellationToken cancellationToken = default);
}
