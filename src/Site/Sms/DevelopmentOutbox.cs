namespace IdentityTwoFactor.Sms;

/// <summary>The sender used in Development when RingCentral is not configured: keeps the last messages in memory
/// for the page /dev/outbox instead of texting anyone.</summary>
public sealed class DevelopmentOutbox(TimeProvider timeProvider, ILogger<DevelopmentOutbox> logger) : ISmsSender
{
    public const int Capacity = 200;

    private readonly Lock gate = new();
    private readonly LinkedList<OutboxMessage> messages = new();

    /// <summary>A snapshot, newest first, at most <see cref="Capacity"/> messages.</summary>
    public IReadOnlyList<OutboxMessage> Messages
    {
        get
        {
            lock (gate)
            {
                return [.. messages];
            }
        }
    }

    public Task<SmsSendResult> SendAsync(string toE164, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(toE164);
        ArgumentNullException.ThrowIfNull(text);

        var message = new OutboxMessage(Guid.NewGuid().ToString("N"), toE164, text, timeProvider.GetUtcNow());
        lock (gate)
        {
            messages.AddFirst(message);
            if (messages.Count > Capacity)
            {
                messages.RemoveLast();
            }
        }

        SmsLog.StoredInOutbox(logger, PhoneMask.Mask(toE164));
        return Task.FromResult(SmsSendResult.Sent(message.Id));
    }
}

public sealed record OutboxMessage(string Id, string To, string Text, DateTimeOffset SentAt);
