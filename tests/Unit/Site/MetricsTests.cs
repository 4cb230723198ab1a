using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Support;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The collection of <see cref="MetricsTests"/>: alone, because an OpenTelemetry meter provider listens to every
/// meter of its name in the process, and another test's site texting at the same time would move the counters.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsTestGroup
{
    public const string Name = "Metrics";
}

/// <summary>
/// <c>/metrics</c> through the real site: a real story (signup with the texted confirmation, three wrong passwords that
/// lock and text the unlock code, the unlock with that code) moves the counters by exactly what it did and nothing else;
/// the scrape holds no email, number, code, password or credential; only allowed networks get it, judged by the
/// proxy's forwarded client address; and with metrics off it is the site's 404 like any unknown path.
/// </summary>
[Collection(MetricsTestGroup.Name)]
public sealed partial class MetricsTests
{
    private const string Password = "correct horse battery";
    private const string Phone = "(650) 253-0171";
    private const string PhoneE164 = "+16502530171";
    private const int DailyCap = 50;

    [Fact]
    public async Task AScrapeAfterALockAndUnlockStoryShowsExactlyWhatTheStoryDid()
    {
        await using var site = await StartAsync(new()
        {
            ["Metrics:Enabled"] = "true",
            ["TwoFactor:MaxTextsPerDay"] = DailyCap.ToString(CultureInfo.InvariantCulture),
        });
        using var scraper = Client(site, "127.0.0.1");
        var before = await ScrapeAsync(scraper);

        var email = $"metrics-{Guid.NewGuid():N}@example.com";
        using var owner = Client(site, "198.51.100.20");
        Assert.Equal(FormClient.AfterSignUp, (await owner.SignUpAsync(email, Password, Phone)).Headers.Location?.OriginalString);
        using var browser = Client(site, "198.51.100.21");
        for (var i = 0; i < 3; i++)
        {
            await browser.LogInAsync(email, "wrong password");
        }
        var code = site.RingCentral.LastCodeSentTo(PhoneE164)!;
        var unlocked = FormClient.Flashes(await browser.FollowAsync(await browser.UnlockAsync(email, code)));
        Assert.Contains("Your account is unlocked. Please log in.", unlocked);

        var text = await ScrapeTextAsync(scraper);
        var after = Parse(text);
        var expected = new Dictionary<string, double>
        {
            ["identitytwofactor_texts_total{outcome=sent,purpose=confirm-phone}"] = 1,
            ["identitytwofactor_texts_total{outcome=sent,purpose=unlock}"] = 1,
            ["identitytwofactor_code_checks_total{purpose=confirm-phone,result=valid}"] = 1,
            ["identitytwofactor_code_checks_total{purpose=unlock,result=valid}"] = 1,
            ["identitytwofactor_locks_total{cause=password}"] = 1,
            ["identitytwofactor_unlocks_total{method=texted-code}"] = 1,
            ["identitytwofactor_ringcentral_token_renewals_total{outcome=success}"] = 1,
            ["identitytwofactor_ringcentral_request_duration_seconds_count{http_response_status_code=200,operation=token}"] = 1,
            ["identitytwofactor_ringcentral_request_duration_seconds_count{http_response_status_code=200,operation=sms}"] = 2,
            ["identitytwofactor_texts_daily_remaining{}"] = -2,
            // The signup's hash and the three wrong passwords' (the third one locks); the unlock hashes nothing.
            ["identitytwofactor_hashing_duration_seconds_count{}"] = 4,
        };
        var moved = after
            .Where(s => s.Key.StartsWith("identitytwofactor_", StringComparison.Ordinal) && !s.Key.Contains("_bucket{", StringComparison.Ordinal)
                && !s.Key.Contains("_sum{", StringComparison.Ordinal))
            .Select(s => (s.Key, Delta: s.Value - before.GetValueOrDefault(s.Key)))
            .Where(s => s.Delta != 0)
            .ToDictionary(s => s.Key, s => s.Delta);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), moved.OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(DailyCap - 2, after["identitytwofactor_texts_daily_remaining{}"]);

        // ASP.NET Core's own meters are exported beside ours.
        Assert.Contains(after.Keys, k => k.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal));
        Assert.Contains(after.Keys, k => k.StartsWith("aspnetcore_identity_", StringComparison.Ordinal));

        // Nothing about the person or the credentials.
        foreach (var secret in new[] { email, PhoneE164, PhoneE164[1..], "2530171", code, Password, site.RingCentral.ClientSecret, site.RingCentral.Jwt }
            .Concat(site.RingCentral.IssuedTokens))
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The authenticator app counts as recovery codes do: its unlock on <c>identitytwofactor.unlocks</c>
    /// (<c>method=authenticator</c>), and each of its codes checked on <c>identitytwofactor.authenticator.checks</c> by
    /// purpose and result (not on <c>code_checks</c>, which counts texted codes).</summary>
    [Fact]
    public async Task AnUnlockWithTheAuthenticatorAppCountsItsChecksAndTheUnlock()
    {
        await using var site = await StartAsync(new() { ["Metrics:Enabled"] = "true" });
        using var scraper = Client(site, "127.0.0.1");
        var email = $"metrics-app-{Guid.NewGuid():N}@example.com";
        using var owner = Client(site, "198.51.100.40");
        await owner.SignUpAsync(email, Password, "(650) 253-0173");
        await owner.LogInAsync(email, Password);
        var started = await owner.PostFormAsync("/account/authenticator", [new("Input.CurrentPassword", Password)], "/account/authenticator?handler=Start");
        var key = Rfc6238.FromBase32(AuthenticatorKey().Match(await owner.FollowAsync(started)).Groups[1].Value);
        var confirmed = await owner.PostFormAsync("/account/authenticator",
            [new("Input.Code", Rfc6238.Code(key, site.Clock.GetUtcNow()))], "/account/authenticator?handler=Confirm");
        Assert.Equal("/account", confirmed.Headers.Location?.OriginalString);
        var before = await ScrapeAsync(scraper);

        using var browser = Client(site, "198.51.100.41");
        for (var i = 0; i < 3; i++)
        {
            await browser.LogInAsync(email, "wrong password");
        }
        site.Clock.Advance(Totp.Step);
        var now = site.Clock.GetUtcNow();
        var shown = new[] { -1, 0, 1 }.Select(s => Rfc6238.Code(key, now.AddSeconds(30 * s))).ToList();
        var wrong = Enumerable.Range(0, 10).Select(d => new string((char)('0' + d), 6)).First(c => !shown.Contains(c));
        await browser.PostFormAsync("/unlock?with=app", [new("Input.Email", email), new("Input.Code", wrong)], "/unlock?handler=App&with=app");
        var unlocked = await browser.PostFormAsync("/unlock?with=app", [new("Input.Email", email), new("Input.Code", shown[1])], "/unlock?handler=App&with=app");
        Assert.Equal("/login", unlocked.Headers.Location?.OriginalString);

        var after = await ScrapeAsync(scraper);
        var moved = after
            .Where(s => s.Key.StartsWith("identitytwofactor_unlocks_total", StringComparison.Ordinal)
                || s.Key.StartsWith("identitytwofactor_locks_total", StringComparison.Ordinal)
                || s.Key.StartsWith("identitytwofactor_authenticator_checks_total", StringComparison.Ordinal))
            .Select(s => (s.Key, Delta: s.Value - before.GetValueOrDefault(s.Key)))
            .Where(s => s.Delta != 0)
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
        [
            ("identitytwofactor_authenticator_checks_total{purpose=unlock,result=valid}", 1d),
            ("identitytwofactor_authenticator_checks_total{purpose=unlock,result=wrong}", 1d),
            ("identitytwofactor_locks_total{cause=password}", 1d),
            ("identitytwofactor_unlocks_total{method=authenticator}", 1d),
        ], moved);
    }

    [Fact]
    public async Task OnlyAllowedNetworksGetTheScrapeJudgedByTheForwardedClientAddress()
    {
        await using var site = await StartAsync(new()
        {
            ["Metrics:Enabled"] = "true",
            ["Metrics:AllowedNetworks"] = "127.0.0.0/8, 10.20.0.0/16",
        });
        using var loopback = Client(site, "127.0.0.1");
        using var allowed = Client(site, "10.20.3.4");
        using var outsider = Client(site, "198.51.100.7");
        using var throughProxy = Client(site, "127.0.0.1");
        throughProxy.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9");
        var unknownPage = await outsider.Http.GetAsync(new Uri("/no-such-page", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, (await loopback.Http.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await allowed.Http.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        foreach (var refused in new[] { outsider, throughProxy })
        {
            var answer = await refused.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
            Assert.Equal(await unknownPage.Content.ReadAsStringAsync(), await answer.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task MetricsAreOffByDefaultAndMetricsIsThen404()
    {
        await using var site = await StartAsync([]);
        using var loopback = Client(site, "127.0.0.1");

        var answer = await loopback.Http.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.DoesNotContain("identitytwofactor", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>The gauge's value lives in the database: many scrapes cost one read, and a text this instance sent makes
    /// the next scrape read again (so the value is right at once), and only the next one.</summary>
    [Fact]
    public async Task ManyScrapesReadTheDailyCountOnceAndATextMakesTheNextScrapeReadItAgain()
    {
        var reads = new CountingBudget.Reads();
        await using var site = await SiteFactory.StartAsync(new()
        {
            ["Metrics:Enabled"] = "true",
            ["TwoFactor:MaxTextsPerDay"] = DailyCap.ToString(CultureInfo.InvariantCulture),
        }, s =>
        {
            s.AddSingleton<IStartupFilter, RemoteIpFromHeader>();
            s.AddScoped<SmsBudget<SiteDbContext>>();
            s.AddScoped<ISmsBudget>(sp => new CountingBudget(sp.GetRequiredService<SmsBudget<SiteDbContext>>(), reads));
        });
        using var scraper = Client(site, "127.0.0.1");

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(DailyCap, (await ScrapeAsync(scraper))["identitytwofactor_texts_daily_remaining{}"]);
        }
        Assert.Equal(1, reads.Count);

        using var owner = Client(site, "198.51.100.30");
        Assert.Equal(FormClient.AfterSignUp, (await owner.SignUpAsync($"gauge-{Guid.NewGuid():N}@example.com", Password, "(650) 253-0172")).Headers.Location?.OriginalString);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(DailyCap - 1, (await ScrapeAsync(scraper))["identitytwofactor_texts_daily_remaining{}"]);
        }
        Assert.Equal(2, reads.Count);
    }

    /// <summary>The real budget, counting the gauge's reads.</summary>
    private sealed class CountingBudget(ISmsBudget real, CountingBudget.Reads reads) : ISmsBudget
    {
        public sealed class Reads
        {
            private int _count;
            public int Count => Volatile.Read(ref _count);
            public void Add() => Interlocked.Increment(ref _count);
        }

        public string KeyForEmail(string email) => real.KeyForEmail(email);
        public string KeyForAccount(string userId, string? email) => real.KeyForAccount(userId, email);
        public Task<BudgetDecision> TryClaimAccountAsync(string accountKey, bool ignoreCooldown, CancellationToken cancellationToken) =>
            real.TryClaimAccountAsync(accountKey, ignoreCooldown, cancellationToken);
        public Task<BudgetDecision> TryClaimSharedAsync(string phone, TextKind kind, CancellationToken cancellationToken) =>
            real.TryClaimSharedAsync(phone, kind, cancellationToken);
        public Task<BudgetDecision> PeekDayAsync(TextKind kind, CancellationToken cancellationToken) => real.PeekDayAsync(kind, cancellationToken);
        public Task<int> PruneAsync(CancellationToken cancellationToken) => real.PruneAsync(cancellationToken);

        public Task<int?> TextsLeftTodayAsync(CancellationToken cancellationToken)
        {
            reads.Add();
            return real.TextsLeftTodayAsync(cancellationToken);
        }
    }

    private static Task<SiteFactory> StartAsync(Dictionary<string, string?> settings) =>
        SiteFactory.StartAsync(settings, s => s.AddSingleton<IStartupFilter, RemoteIpFromHeader>());

    private static FormClient Client(SiteFactory site, string address)
    {
        var client = site.NewClient();
        client.Http.DefaultRequestHeaders.Add(RemoteIpFromHeader.Header, address);
        return client;
    }

    private static async Task<string> ScrapeTextAsync(FormClient scraper)
    {
        var response = await scraper.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<Dictionary<string, double>> ScrapeAsync(FormClient scraper) => Parse(await ScrapeTextAsync(scraper));

    /// <summary>Prometheus text as "name{label=value,...}" (labels sorted, the otel_scope_* ones left out) to value.</summary>
    private static Dictionary<string, double> Parse(string text)
    {
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match line in SeriesLine().Matches(text))
        {
            var labels = LabelPattern().Matches(line.Groups["labels"].Value)
                .Select(l => (Name: l.Groups[1].Value, Value: l.Groups[2].Value))
                .Where(l => !l.Name.StartsWith("otel_scope_", StringComparison.Ordinal))
                .OrderBy(l => l.Name, StringComparer.Ordinal)
                .Select(l => $"{l.Name}={l.Value}");
            var key = $"{line.Groups["name"].Value}{{{string.Join(',', labels)}}}";
            series[key] = series.GetValueOrDefault(key) + double.Parse(line.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return series;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN|[+-]Inf)(?: \d+)?$", RegexOptions.Multiline)]
    private static partial Regex SeriesLine();

    [GeneratedRegex("""id="authenticator-key">([A-Z2-7 ]+)<""")]
    private static partial Regex AuthenticatorKey();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPattern();
}
