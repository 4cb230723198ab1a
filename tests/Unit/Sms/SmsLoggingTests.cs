using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Sms;
using Microsoft.Extensions.Logging.Testing;

namespace IdentityTwoFactor.Tests.Unit.Sms;

public sealed class SmsLoggingTests
{
    [Fact]
    public async Task LogsOfAWholeSessionHoldNoSecretsCodesOrFullPhoneNumbers()
    {
        const string code = "918273";
        await using var host = await SmsTestHost.StartAsync();
        var text = $"{code} is your sign-in code";

        Assert.True((await host.SendAsync(text)).Succeeded);
        host.Server.FailNextSms(FakeFailure.RateLimited(5));
        await host.SendAsync(text);
        host.Server.FailNextSms(FakeFailure.BlockedNumber);
        await host.SendAsync(text);
        host.Server.FailNextSms(FakeFailure.ServerError);
        await host.SendAsync(text);
        host.Server.FailNextSms(FakeFailure.SendingFailed);
        await host.SendAsync(text);
        host.Server.FailNextSms(FakeFailure.Unauthorized, times: 2);
        await host.SendAsync(text);
        host.Time.Advance(TimeSpan.FromHours(2));
        Assert.True((await host.SendAsync(text)).Succeeded);

        var logs = string.Join("\n", host.Logs.GetSnapshot().Select(Describe));
        Assert.True(host.Server.IssuedTokens.Count >= 3);
        var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{host.Server.ClientId}:{host.Server.ClientSecret}"));
        string[] secrets = [host.Server.ClientSecret, host.Server.Jwt, basic, code, SmsTestHost.Recipient, "6505551234", .. host.Server.IssuedTokens];
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }

        Assert.Contains(PhoneMask.Mask(SmsTestHost.Recipient), logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogsOfFailedTokenRequestsHoldNoCredentials()
    {
        await using var host = await SmsTestHost.StartAsync(new() { ["RINGCENTRAL_JWT"] = "eyJ.wrong-jwt-value.sig" });

        await host.SendAsync();

        var logs = string.Join("\n", host.Logs.GetSnapshot().Select(Describe));
        Assert.DoesNotContain("wrong-jwt-value", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Server.ClientSecret, logs, StringComparison.Ordinal);
        Assert.Contains("OAU-140", logs, StringComparison.Ordinal);
    }

    private static string Describe(FakeLogRecord record) =>
        string.Join(" | ",
            record.Category,
            record.Message,
            record.Exception?.ToString() ?? string.Empty,
            string.Join(";", record.StructuredState?.Select(kv => $"{kv.Key}={kv.Value}") ?? []),
            string.Join(";", record.Scopes.Select(s => s?.ToString() ?? string.Empty)));
}
