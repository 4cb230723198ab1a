using System.Net;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>Every log record of a whole session through the site, Trace level included, with a phone change.</summary>
public sealed partial class SessionLoggingTests
{
    private const string Password = "correct horse battery";
    private const string NewPassword = "another horse battery";
    private const string Phone = "+16502530000";
    private const string NewPhone = "+16502530042";

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex CodePattern();

    [Fact]
    public async Task LogsOfASessionWithAPhoneChangeHoldNoFullNumberCodePasswordOrToken()
    {
        await using var site = await SiteFactory.StartAsync(configureServices: s =>
            s.AddLogging(l => l.AddFakeLogging().SetMinimumLevel(LogLevel.Trace)));
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var pages = new List<string>();
        using var client = site.NewClient();

        // Sign up and confirm, sign in, change the number (a wrong code first, then the right one), sign out,
        // lock the account, unlock it with the texted code, reset the password with a texted code.
        await client.SignUpAsync(email, Password);
        await client.LogInAsync(email, Password);
        await client.PostFormAsync("/account/phone", ("Input.Phone", "(650) 253-0042"), ("Input.CurrentPassword", Password));
        pages.Add(await client.FollowAsync(await client.PostFormAsync("/account/phone",
            [new("Input.Code", "000000"), new("Input.CurrentPhoneCode", "000000")], "/account/phone?handler=Confirm")));
        await client.PostFormAsync("/account/phone", ("Input.Phone", "(650) 253-0042"), ("Input.CurrentPassword", Password));
        var changeCode = site.RingCentral.LastCodeSentTo(NewPhone)!;
        var approval = site.RingCentral.LastCodeSentTo(Phone)!;
        pages.Add(await client.FollowAsync(await client.PostFormAsync("/account/phone",
            [new("Input.Code", changeCode), new("Input.CurrentPhoneCode", approval)], "/account/phone?handler=Confirm")));
        await client.PostFormAsync("/account", [], "/logout");
        for (var i = 0; i < 3; i++)
        {
            await client.LogInAsync(email, "wrong password");
        }
        await client.UnlockAsync(email, "000000");
        await client.ResendUnlockAsync(email);
        await client.UnlockAsync(email, site.RingCentral.LastCodeSentTo(NewPhone)!);
        await client.PostFormAsync("/reset-password", ("Input.Email", email));
        await client.PostFormAsync("/reset-password?step=code", [new("Input.Email", email), new("Input.Code", site.RingCentral.LastCodeSentTo(NewPhone)!),
            new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)], "/reset-password?handler=Reset");
        var formToken = await client.GetTokenAsync("/login");
        Assert.Equal(HttpStatusCode.Redirect, (await client.LogInAsync(email, NewPassword)).StatusCode);
        Assert.Contains("Your mobile phone number is now XXXXXXX0042. We texted both numbers to say so.", FormClient.Flashes(pages[^1]));

        var records = site.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        var logs = string.Join("\n", records.Select(Describe));
        Assert.Contains(records, r => r.Level == LogLevel.Trace);
        Assert.Contains("XXXXXXX0042", logs, StringComparison.Ordinal);
        var codes = site.RingCentral.Messages.Select(m => CodePattern().Match(m.Text).Value).Where(c => c.Length == 6).Distinct().ToList();
        Assert.True(codes.Count >= 5, $"{codes.Count} codes texted");
        string[] secrets =
        [
            Phone, NewPhone, "6502530000", "6502530042", "253-0042", Password, NewPassword,
            site.RingCentral.ClientSecret, site.RingCentral.Jwt, .. site.RingCentral.IssuedTokens, .. codes,
            formToken,
        ];
        Assert.All(secrets, s => Assert.True(s.Length >= 6, $"\"{s}\" is too short to look for"));
        foreach (var secret in secrets)
        {
            Assert.False(logs.Contains(secret, StringComparison.Ordinal), $"The logs hold \"{secret}\":\n{Around(logs, secret)}");
        }
    }

    private static string Around(string logs, string secret) =>
        string.Join("\n", logs.Split('\n').Where(line => line.Contains(secret, StringComparison.Ordinal)).Take(3));

    private static string Describe(FakeLogRecord record) =>
        string.Join(" | ",
            record.Category,
            record.Id.ToString(),
            record.Message,
            record.Exception?.ToString() ?? string.Empty,
            string.Join(";", record.StructuredState?.Select(kv => $"{kv.Key}={kv.Value}") ?? []),
            string.Join(";", record.Scopes.Select(s => s?.ToString() ?? string.Empty)));
}
