using System.Diagnostics;
using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Sms;

namespace IdentityTwoFactor.Tests.Unit.Sms;

public sealed class RingCentralFailureTests
{
    [Fact]
    public async Task RateLimitedSendIsNotRetriedAndCarriesRetryAfterFromTheHeader()
    {
        await using var host = await SmsTestHost.StartAsync();
        host.Server.FailNextSms(FakeFailure.RateLimited(retryAfterSeconds: 17));

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.RateLimited, result.Failure);
        Assert.Equal(TimeSpan.FromSeconds(17), result.RetryAfter);
        Assert.Equal("MSG-305", result.ErrorCode);
        Assert.Equal(1, host.Server.SmsRequests);
        Assert.Empty(host.Server.Messages);
    }

    [Fact]
    public async Task RateLimitedSendWithoutRetryAfterWaitsThirtySeconds()
    {
        await using var host = await SmsTestHost.StartAsync();
        host.Server.FailNextSms(FakeFailure.RateLimitedWithoutRetryAfter);

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.RateLimited, result.Failure);
        Assert.Equal(TimeSpan.FromSeconds(30), result.RetryAfter);
        Assert.Equal(1, host.Server.SmsRequests);
    }

    [Fact]
    public async Task ServerErrorIsProviderUnavailableAndNotRetried()
    {
        await using var host = await SmsTestHost.StartAsync();
        host.Server.FailNextSms(FakeFailure.ServerError);

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.ProviderUnavailable, result.Failure);
        Assert.Equal(1, host.Server.SmsRequests);
    }

    [Fact]
    public async Task SlowAnswerPastSendTimeoutIsProviderUnavailableAndNotRetried()
    {
        await using var host = await SmsTestHost.StartAsync(new() { ["RingCentral:SendTimeout"] = "00:00:00.300" });
        host.Server.FailNextSms(FakeFailure.Slow(TimeSpan.FromSeconds(3)));
        var clock = Stopwatch.StartNew();

        var result = await host.SendAsync();

        clock.Stop();
        Assert.Equal(SmsFailureKind.ProviderUnavailable, result.Failure);
        Assert.Equal(1, host.Server.SmsRequests);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"The send took {clock.Elapsed}, past its 300 ms timeout.");
    }

    [Fact]
    public async Task SendingFailedStatusIsProviderUnavailable()
    {
        await using var host = await SmsTestHost.StartAsync();
        host.Server.FailNextSms(FakeFailure.SendingFailed);

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.ProviderUnavailable, result.Failure);
        Assert.Equal("SendingFailed", result.ErrorCode);
        Assert.Equal(1, host.Server.SmsRequests);
    }

    [Fact]
    public async Task BlockedRecipientIsRejectedNumberWithItsErrorCode()
    {
        await using var host = await SmsTestHost.StartAsync();
        host.Server.FailNextSms(FakeFailure.BlockedNumber);

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.RejectedNumber, result.Failure);
        Assert.Equal("MSG-243", result.ErrorCode);
        Assert.Equal(1, host.Server.SmsRequests);
    }

    [Fact]
    public async Task InvalidRecipientNumberIsACouldNotSendNotARefusalByTheNumber()
    {
        // Only the opt-out error (MSG-243) means "the number refused the message"; other 4xx answers are "could not send".
        await using var host = await SmsTestHost.StartAsync();

        var result = await host.SendAsync(to: "12345");

        Assert.NotEqual(SmsFailureKind.RejectedNumber, result.Failure);
        Assert.Equal("CMN-101", result.ErrorCode);
    }

    [Fact]
    public async Task SmsRequestBodyIsSentWithAContentLength()
    {
        await using var host = await SmsTestHost.StartAsync();

        var result = await host.SendAsync();

        Assert.True(result.Succeeded);
        Assert.Equal(1, host.Server.SmsRequests);
        Assert.Equal(0, host.Server.SmsRequestsWithoutContentLength);
    }

    [Fact]
    public async Task FromNumberNotOwnedIsMisconfigured()
    {
        await using var host = await SmsTestHost.StartAsync(new() { ["RINGCENTRAL_FROM_NUMBER"] = "+16505559999" });

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.Misconfigured, result.Failure);
        Assert.Equal("MSG-245", result.ErrorCode);
    }

    [Fact]
    public async Task ConnectionRefusedIsProviderUnavailableWithoutThrowing()
    {
        await using var host = await SmsTestHost.StartAsync(serverUrl: _ => FakeRingCentralServer.UnusedLoopbackUrl());

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.ProviderUnavailable, result.Failure);
        Assert.Equal(0, host.Server.TokenRequests);
    }

    [Fact]
    public async Task ServerGoneAfterTheTokenIsProviderUnavailableWithoutThrowing()
    {
        await using var host = await SmsTestHost.StartAsync();
        Assert.True((await host.SendAsync()).Succeeded);
        await host.Server.StopAsync();

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.ProviderUnavailable, result.Failure);
        Assert.Equal(1, host.Server.SmsRequests);
    }

    [Fact]
    public async Task AcceptedSendReturnsTheMessageIdAndTheFakeRecordsTheText()
    {
        await using var host = await SmsTestHost.StartAsync();

        var result = await host.SendAsync("654321 is your code");

        Assert.True(result.Succeeded);
        Assert.False(string.IsNullOrEmpty(result.MessageId));
        Assert.Equal("654321", host.Server.LastCodeSentTo(SmsTestHost.Recipient));
        Assert.Equal(host.Server.FromNumber, host.Server.LastMessageTo(SmsTestHost.Recipient)!.From);
    }
}
