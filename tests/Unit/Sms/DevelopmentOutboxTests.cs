using IdentityTwoFactor.Sms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace IdentityTwoFactor.Tests.Unit.Sms;

public sealed class DevelopmentOutboxTests
{
    [Fact]
    public async Task OutboxKeepsMessagesNewestFirstWithTheClockTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var outbox = new DevelopmentOutbox(time, NullLogger<DevelopmentOutbox>.Instance);

        await outbox.SendAsync("+16505551234", "111111 first");
        time.Advance(TimeSpan.FromMinutes(1));
        var result = await outbox.SendAsync("+16505555678", "222222 second");

        Assert.True(result.Succeeded);
        Assert.Equal(["222222 second", "111111 first"], outbox.Messages.Select(m => m.Text));
        Assert.Equal("+16505555678", outbox.Messages[0].To);
        Assert.Equal(time.GetUtcNow(), outbox.Messages[0].SentAt);
    }

    [Fact]
    public async Task OutboxKeepsOnlyTheLastTwoHundredMessages()
    {
        var outbox = new DevelopmentOutbox(TimeProvider.System, NullLogger<DevelopmentOutbox>.Instance);

        await Task.WhenAll(Enumerable.Range(0, 250).Select(i => Task.Run(() => outbox.SendAsync("+16505551234", $"message {i}"))));

        Assert.Equal(DevelopmentOutbox.Capacity, outbox.Messages.Count);
    }
}
