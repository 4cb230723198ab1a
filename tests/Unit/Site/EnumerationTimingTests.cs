using System.Net;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// A real email and an unknown one must cost the same time on the forms anyone can post, with Identity's production
/// hasher (100,000 PBKDF2 iterations): the medians of 15 timings of the site's CPU time within 0.8-1.25 of each other.
/// </summary>
[Collection(TimingTestGroup.Name)]
public sealed class EnumerationTimingTests
{
    /// <summary>Reset step 2 hashes a password on every path (the dummy hash where no new one is stored).</summary>
    [Fact]
    public async Task ResetStepTwoTakesAsLongForARealEmailAsForAnUnknownOne()
    {
        await using var site = await ProductionHashingSiteAsync();
        var known = await EnumerationTests.SignUpAsync(site);
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        using (var client = site.NewClient())
        {
            await client.PostFormAsync("/reset-password", ("Input.Email", known)); // a live code, burnt by the first guess
        }

        await AssertSimilarAsync(() => MedianTimingsAsync(site, "/reset-password?step=code", "/reset-password?handler=Reset", known, unknown,
            EnumerationTests.ResetFields, postsPerTiming: 2));
    }

    /// <summary>Reset with a recovery code: the same DELETE and one password hash on every path (the dummy hash for a
    /// wrong code or an unknown email). The real account locks after three and stays locked: its answer does not change.</summary>
    [Fact]
    public async Task ResetWithARecoveryCodeTakesAsLongForARealEmailAsForAnUnknownOne()
    {
        await using var site = await ProductionHashingSiteAsync();
        var known = await EnumerationTests.SignUpAsync(site);
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        await AssertSimilarAsync(() => MedianTimingsAsync(site, "/reset-password?step=recovery-code", "/reset-password?handler=Recovery", known, unknown,
            EnumerationTests.RecoveryResetFields, postsPerTiming: 2));
    }

    [Fact]
    public async Task ConfirmPhoneTakesAsLongForAnUnconfirmedAccountAsForAnUnknownEmail()
    {
        await using var site = await ProductionHashingSiteAsync();
        var known = await EnumerationTests.SignUpUnconfirmedAsync(site);
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        await AssertSimilarAsync(() => MedianTimingsAsync(site, "/confirm-phone", null, known, unknown,
            e => [("Input.Email", e), ("Input.Code", "000000")], postsPerTiming: 10));
    }

    [Fact]
    public async Task UnlockAndResendTakeAsLongForARealAccountAsForAnUnknownEmail()
    {
        await using var site = await ProductionHashingSiteAsync();
        var known = await EnumerationTests.SignUpAsync(site);
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        await AssertSimilarAsync(() => MedianTimingsAsync(site, "/unlock", null, known, unknown,
            e => [("Input.Email", e), ("Input.Code", "000000")], postsPerTiming: 10));
        await AssertSimilarAsync(() => MedianTimingsAsync(site, "/unlock", "/unlock?handler=Resend", known, unknown,
            e => [("Input.Email", e)], postsPerTiming: 10));
    }

    /// <summary>The site with Identity's production hasher: the cost an attacker would time.</summary>
    private static Task<SiteFactory> ProductionHashingSiteAsync() =>
        SiteFactory.StartAsync(new() { ["TwoFactor:ResendCooldown"] = "00:01:00" },
            s => s.Configure<PasswordHasherOptions>(o => o.IterationCount = new PasswordHasherOptions().IterationCount));

    /// <summary>Medians of 15 timings (after 3 warm-ups). One timing is <paramref name="postsPerTiming"/> POSTs for
    /// each email, alternating real and unknown post by post. What is timed is the CPU time the site (in this process)
    /// spends on the request, from getrusage via <see cref="Environment.CpuUsage"/>: on this shared two-core machine
    /// (load averages of 20 seen) the wall-clock time of a few-millisecond request is mostly time spent waiting for a
    /// core and swings both ways by half, while the work a real and an unknown email cost is what must be equal.
    /// The site runs in process and its SQLite work is CPU, so this is the request's work. Tokens and bodies are made
    /// outside the timed part.</summary>
    private static async Task<(double Real, double Unknown)> MedianTimingsAsync(SiteFactory site, string form, string? postPath,
        string real, string unknown, Func<string, (string, string)[]> fields, int postsPerTiming)
    {
        using var client = site.NewClient();
        var token = await client.GetTokenAsync(form);
        var target = new Uri(postPath ?? form, UriKind.Relative);
        var realTimes = new List<double>();
        var unknownTimes = new List<double>();
        for (var round = 0; round < 18; round++)
        {
            double realSum = 0, unknownSum = 0;
            for (var i = 0; i < postsPerTiming; i++)
            {
                var realFirst = (round + i) % 2 == 0;
                foreach (var email in realFirst ? new[] { real, unknown } : [unknown, real])
                {
                    using var content = new FormUrlEncodedContent(
                        fields(email).Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)).Append(new("__RequestVerificationToken", token)));
                    var cpu = Environment.CpuUsage.TotalTime;
                    using var response = await client.Http.PostAsync(target, content);
                    var elapsed = (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds;
                    Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                    if (email == real)
                    {
                        realSum += elapsed;
                    }
                    else
                    {
                        unknownSum += elapsed;
                    }
                }
            }
            if (round >= 3)
            {
                realTimes.Add(realSum);
                unknownTimes.Add(unknownSum);
            }
        }
        return (Median(realTimes), Median(unknownTimes));
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>The ratio of the medians within 0.8-1.25, in one of at most three measurements. A real difference
    /// (the tenfold one of a skipped hash, or a missing lookup) fails all three; a burst of load from other processes
    /// on this shared two-core machine rarely spoils three in a row.</summary>
    private static async Task AssertSimilarAsync(Func<Task<(double Real, double Unknown)>> measure)
    {
        var attempts = new List<string>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (real, unknown) = await measure();
            var ratio = unknown / real;
            if (ratio is >= 0.8 and <= 1.25)
            {
                return;
            }
            attempts.Add($"{ratio:F2} ({unknown:F1} ms vs {real:F1} ms of CPU)");
        }
        Assert.Fail("unknown/real median time outside 0.8-1.25 in every measurement: " + string.Join("; ", attempts));
    }
}
