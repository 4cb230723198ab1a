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

    [Fact]
    public async Task LogsOfEveryRecoveryCodeFlowHoldNoRecoveryCode()
    {
        await using var site = await SiteFactory.StartAsync(configureServices: s =>
            s.AddLogging(l => l.AddFakeLogging().SetMinimumLevel(LogLevel.Trace)));
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var client = site.NewClient();

        // Shown after the confirmation, a new set from /account (wrong password first), downloaded; then each use: a
        // phone change, a sign-in instead of the texted code, an unlock, a reset; and wrong codes on each form.
        await client.SignUpAsync(email, Password);
        var first = client.RecoveryCodes;
        await client.LogInAsync(email, Password);
        await client.PostFormAsync("/account/recovery-codes", ("Input.CurrentPassword", "not the password"));
        var page = await client.FollowAsync(await client.PostFormAsync("/account/recovery-codes", ("Input.CurrentPassword", Password)));
        var codes = FormClient.RecoveryCodesIn(page);
        var sealedCodes = WebUtility.HtmlDecode(Regex.Match(page, "name=\"sealed\" value=\"([^\"]+)\"").Groups[1].Value);
        Assert.Equal(HttpStatusCode.OK, (await client.PostFormAsync("/login", [new("sealed", sealedCodes)], "/recovery-codes?handler=Download")).StatusCode);
        await client.PostFormAsync("/account/phone", ("Input.Phone", "(650) 253-0042"), ("Input.CurrentPassword", Password), ("Input.LostCurrentPhone", "true"));
        Assert.Equal("/account", (await client.PostFormAsync("/account/phone",
            [new("Input.Code", site.RingCentral.LastCodeSentTo(NewPhone)!), new("Input.RecoveryCode", codes[0])], "/account/phone?handler=Confirm")).Headers.Location?.OriginalString);
        await using (var scope = site.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<IdentityTwoFactor.Identity.TwoFactorUserManager>();
            await users.SetTwoFactorEnabledAsync((await users.FindByEmailAsync(email))!, true);
        }
        using var other = site.NewClient();
        await other.LogInAsync(email, Password);
        await other.PostFormAsync("/login/code?with=recovery-code", [new("Input.RecoveryCode", first[0])], "/login/code?handler=Recovery&with=recovery-code");
        Assert.Equal("/", (await other.PostFormAsync("/login/code?with=recovery-code", [new("Input.RecoveryCode", codes[1])],
            "/login/code?handler=Recovery&with=recovery-code")).Headers.Location?.OriginalString);
        using var stranger = site.NewClient();
        for (var i = 0; i < 2; i++)
        {
            await stranger.LogInAsync(email, "wrong password");
        }
        await stranger.PostFormAsync("/unlock?with=recovery-code", [new("Input.Email", email), new("Input.RecoveryCode", first[1])], "/unlock?handler=Recovery&with=recovery-code");
        Assert.Equal("/login", (await stranger.PostFormAsync("/unlock?with=recovery-code", [new("Input.Email", email), new("Input.RecoveryCode", codes[2])],
            "/unlock?handler=Recovery&with=recovery-code")).Headers.Location?.OriginalString);
        Assert.Equal("/login", (await stranger.PostFormAsync("/reset-password?step=recovery-code", [new("step", "recovery-code"), new("Input.Email", email),
            new("Input.RecoveryCode", codes[3]), new("Input.NewPassword", NewPassword), new("Input.ConfirmPassword", NewPassword)],
            "/reset-password?handler=Recovery")).Headers.Location?.OriginalString);

        var records = site.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        // The codes page is no-store without making antiforgery warn that it overrode the page's own cache headers.
        Assert.DoesNotContain(records, r => r.Level >= LogLevel.Warning && r.Category == "Microsoft.AspNetCore.Antiforgery.DefaultAntiforgery");
        var logs = string.Join("\n", records.Select(Describe));
        Assert.Equal(20, first.Concat(codes).Distinct().Count());
        foreach (var code in first.Concat(codes))
        {
            foreach (var form in new[] { code, code.Replace("-", "", StringComparison.Ordinal), code[..5], code[6..] })
            {
                Assert.False(logs.Contains(form, StringComparison.OrdinalIgnoreCase), $"The logs hold \"{form}\":\n{Around(logs, form)}");
            }
        }
        Assert.False(logs.Contains(sealedCodes, StringComparison.Ordinal), $"The logs hold the sealed download ({sealedCodes.Length} chars):\n{Around(logs, sealedCodes)}");
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
