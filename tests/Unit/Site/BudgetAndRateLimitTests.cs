using System.Net;
using IdentityTwoFactor.Tests.Unit.Support;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The SMS budget and the per-IP limiter as a person meets them: messages that say when to try again.</summary>
public sealed class BudgetAndRateLimitTests
{
    private const string Password = "correct horse battery";
    private const string Phone = "+16502530000";

    [Fact]
    public async Task TheCooldownMessageShowsTheWait()
    {
        await using var site = await SiteFactory.StartAsync(new() { ["TwoFactor:ResendCooldown"] = "00:01:00" });
        var email = await LockedUserAsync(site);
        site.Clock.Advance(TimeSpan.FromSeconds(15));
        using var client = site.NewClient();

        var page = await client.FollowAsync(await client.ResendUnlockAsync(email));

        Assert.Contains("A code was texted moments ago. Please wait 45 seconds before asking for another.", FormClient.Flashes(page));
        Assert.Single(UnlockTexts(site));
    }

    [Fact]
    public async Task TheHourlyCapMessageShowsTheWait()
    {
        // Four texts an hour: the phone confirmation, the lock, and two resends.
        await using var site = await SiteFactory.StartAsync(new() { ["TwoFactor:ResendCooldown"] = "00:00:10", ["TwoFactor:MaxTextsPerHour"] = "4" });
        var email = await LockedUserAsync(site);
        using var client = site.NewClient();
        for (var i = 0; i < 2; i++)
        {
            site.Clock.Advance(TimeSpan.FromMinutes(1));
            await client.ResendUnlockAsync(email);
        }
        site.Clock.Advance(TimeSpan.FromMinutes(1));

        var page = await client.FollowAsync(await client.ResendUnlockAsync(email));

        Assert.Equal(4, site.RingCentral.Messages.Count);
        Assert.Contains("Too many codes were texted to this account in the last hour. Please try again in 57 minutes.", FormClient.Flashes(page));
    }

    [Fact]
    public async Task TheDailyCapStopsTextingWithAClearMessage()
    {
        // Three texts a day: the first user's confirmation and lock, the second user's confirmation (signups may use
        // the whole day here; their share is SmsAbuseTests' subject).
        await using var site = await SiteFactory.StartAsync(new() { ["TwoFactor:MaxTextsPerDay"] = "3", ["TwoFactor:SignupShareOfDailyTexts"] = "100" });
        var first = await LockedUserAsync(site);
        var second = await SignUpAsync(site, "(650) 253-0001");
        using var client = site.NewClient();

        var page = await client.FollowAsync(await client.PostFormAsync("/reset-password", ("Input.Email", second)));

        Assert.Equal(3, site.RingCentral.Messages.Count);
        Assert.Contains(FormClient.Flashes(page), f => f.StartsWith("The site has sent all the texts it may send today. Please try again in", StringComparison.Ordinal));
        Assert.NotNull(first);
    }

    [Fact]
    public async Task ThePerIpLimiterAnswers429WithAFriendlyPage()
    {
        await using var site = await SiteFactory.StartAsync(new() { ["RateLimits:Enabled"] = "true", ["RateLimits:PermitLimit"] = "3", ["RateLimits:Window"] = "00:01:00" });
        using var client = site.NewClient();
        var token = await client.GetTokenAsync("/login");

        HttpResponseMessage? last = null;
        for (var i = 0; i < 4; i++)
        {
            using var form = new FormUrlEncodedContent([new("Input.Email", "a@example.com"), new("Input.Password", "x"), new("__RequestVerificationToken", token)]);
            last = await client.Http.PostAsync(new Uri("/login", UriKind.Relative), form);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last!.StatusCode);
        Assert.True(last.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        var body = await last.Content.ReadAsStringAsync();
        Assert.Contains("Too many requests", body, StringComparison.Ordinal);
        Assert.Contains("Please wait", body, StringComparison.Ordinal);
        Assert.Contains("site.css", body, StringComparison.Ordinal); // the site's own layout
        // Pages themselves are never limited.
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync(new Uri("/login", UriKind.Relative))).StatusCode);
    }

    private static async Task<string> LockedUserAsync(SiteFactory site)
    {
        var email = await SignUpAsync(site);
        using var client = site.NewClient();
        for (var i = 0; i < 3; i++)
        {
            await client.LogInAsync(email, "wrong password");
        }
        Assert.Single(UnlockTexts(site));
        return email;
    }

    private static IEnumerable<FakeRingCentral.FakeSms> UnlockTexts(SiteFactory site) =>
        site.RingCentral.Messages.Where(m => m.Text.Contains("to unlock your account", StringComparison.Ordinal));

    private static async Task<string> SignUpAsync(SiteFactory site, string phone = "(650) 253-0000")
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var client = site.NewClient();
        Assert.Equal(HttpStatusCode.Redirect, (await client.SignUpAsync(email, Password, phone)).StatusCode);
        return email;
    }
}
