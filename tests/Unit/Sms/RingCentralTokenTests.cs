using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Sms;

namespace IdentityTwoFactor.Tests.Unit.Sms;

public sealed class RingCentralTokenTests
{
    [Fact]
    public async Task FiftySendsMakeOneTokenRequest()
    {
        await using var host = await SmsTestHost.StartAsync();

        for (var i = 0; i < 50; i++)
        {
            Assert.True((await host.SendAsync()).Succeeded);
        }

        Assert.Equal(1, host.Server.TokenRequests);
        Assert.Equal(50, host.Server.SmsRequests);
        Assert.Equal(50, host.Server.Messages.Count);
    }

    [Fact]
    public async Task TwentyConcurrentFirstSendsMakeOneTokenRequest()
    {
        await using var host = await SmsTestHost.StartAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => host.SendAsync()));

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(1, host.Server.TokenRequests);
        Assert.Equal(20, host.Server.SmsRequests);
    }

    [Fact]
    public async Task SendAfterTokenExpiryRenewsOnce()
    {
        await using var host = await SmsTestHost.StartAsync();
        Assert.True((await host.SendAsync()).Succeeded);

        host.Time.Advance(host.Server.TokenLifetime + TimeSpan.FromSeconds(1));
        var afterExpiry = await host.SendAsync();
        var next = await host.SendAsync();

        Assert.True(afterExpiry.Succeeded);
        Assert.True(next.Succeeded);
        Assert.Equal(2, host.Server.TokenRequests);
        Assert.Equal(3, host.Server.SmsRequests); // no 401 round trip: renewed before sending
    }

    [Fact]
    public async Task TokenIsRenewedWithinTheRenewalMarginBeforeItExpires()
    {
        await using var host = await SmsTestHost.StartAsync(new() { ["RingCentral:TokenRenewalMargin"] = "00:01:00" });
        Assert.True((await host.SendAsync()).Succeeded);

        host.Time.Advance(host.Server.TokenLifetime - TimeSpan.FromSeconds(30));
        Assert.True((await host.SendAsync()).Succeeded);

        Assert.Equal(2, host.Server.TokenRequests);
        Assert.Equal(2, host.Server.SmsRequests);
    }

    [Fact]
    public async Task TwentyConcurrentSendsAcrossTheRenewalMakeOneTokenRequest()
    {
        await using var host = await SmsTestHost.StartAsync();
        Assert.True((await host.SendAsync()).Succeeded);
        host.Time.Advance(host.Server.TokenLifetime + TimeSpan.FromSeconds(1));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => host.SendAsync())));

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(2, host.Server.TokenRequests);
        Assert.Equal(21, host.Server.SmsRequests);
    }

    [Fact]
    public async Task UnauthorizedSendRenewsTheTokenOnceAndRetriesOnce()
    {
        await using var host = await SmsTestHost.StartAsync();
        host.Server.FailNextSms(FakeFailure.Unauthorized);

        var result = await host.SendAsync();

        Assert.True(result.Succeeded);
        Assert.Equal(2, host.Server.TokenRequests);
        Assert.Equal(2, host.Server.SmsRequests);
        Assert.Single(host.Server.Messages);
    }

    [Fact]
    public async Task RevokedTokenIsRenewedOnceAndTheSendSucceeds()
    {
        await using var host = await SmsTestHost.StartAsync();
        Assert.True((await host.SendAsync()).Succeeded);
        host.Server.RevokeAllTokens();

        var result = await host.SendAsync();

        Assert.True(result.Succeeded);
        Assert.Equal(2, host.Server.TokenRequests);
        Assert.Equal(3, host.Server.SmsRequests);
    }

    [Fact]
    public async Task SecondUnauthorizedIsAClearFailureWithoutALoop()
    {
        await using var host = await SmsTestHost.StartAsync();
        host.Server.FailAllSms(FakeFailure.Unauthorized);

        var result = await host.SendAsync();

        Assert.False(result.Succeeded);
        Assert.Equal(SmsFailureKind.Misconfigured, result.Failure);
        Assert.Equal(2, host.Server.TokenRequests);
        Assert.Equal(2, host.Server.SmsRequests);
        Assert.Empty(host.Server.Messages);
    }

    [Fact]
    public async Task WrongClientSecretIsMisconfiguredAndSendsNothing()
    {
        await using var host = await SmsTestHost.StartAsync(new() { ["RINGCENTRAL_CLIENT_SECRET"] = "not-the-secret" });

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.Misconfigured, result.Failure);
        Assert.Equal("OAU-123", result.ErrorCode);
        Assert.Equal(1, host.Server.TokenRequests); // a 4xx token answer is not retried
        Assert.Equal(0, host.Server.SmsRequests);
    }

    [Fact]
    public async Task WrongJwtIsMisconfigured()
    {
        await using var host = await SmsTestHost.StartAsync(new() { ["RINGCENTRAL_JWT"] = "eyJ.not-the-jwt.sig" });

        var result = await host.SendAsync();

        Assert.Equal(SmsFailureKind.Misconfigured, result.Failure);
        Assert.Equal(1, host.Server.TokenRequests);
        Assert.Equal(0, host.Server.SmsRequests);
    }
}
