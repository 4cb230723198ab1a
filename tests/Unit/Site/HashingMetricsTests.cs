using System.Diagnostics.Metrics;
using System.Net;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// The hashing gate's instruments, what an operator sizes the gate with: every password hash is timed on the site's
/// meter (signup, sign-in, the dummy hash for an unknown email), and every busy answer is counted with its reason.
/// </summary>
public sealed class HashingMetricsTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task EveryPasswordHashIsTimedOnce()
    {
        await using var site = await SiteFactory.StartAsync();
        using var durations = Durations(site);
        using var refusals = Refusals(site);
        using var client = site.NewClient();

        Assert.Equal(HttpStatusCode.Redirect, (await client.SignUpAsync("ann@example.com", Password, "(650) 253-0001")).StatusCode);
        var afterSignup = durations.GetMeasurementSnapshot().Count;
        await client.LogInAsync("ann@example.com", Password);
        using var stranger = site.NewClient();
        await stranger.LogInAsync("nobody@example.com", "wrong password 1");

        // The signup's hash, then one more for the sign-in and one for the unknown email's dummy hash.
        Assert.Equal(1, afterSignup);
        Assert.Equal(3, durations.GetMeasurementSnapshot().Count);
        // Each is the hash's real time: more than nothing, far less than a minute (the test site hashes with 1,000 PBKDF2
        // iterations, about a millisecond; production's 100,000 take 45-110 ms).
        Assert.All(durations.GetMeasurementSnapshot(), m => Assert.True(m.Value is > 0 and < 30, $"{m.Value} s"));
        Assert.Empty(refusals.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task BusyAnswersAreCountedByReason()
    {
        await using var site = await SiteFactory.StartAsync(new()
        {
            ["Hashing:MaxConcurrent"] = "1",
            ["Hashing:MaxQueue"] = "1",
            // Long enough that the second sign-in arrives while the first still waits, on a loaded CI machine too.
            ["Hashing:MaxWait"] = "00:00:04",
        });
        using var durations = Durations(site);
        using var refusals = Refusals(site);
        var gate = site.Services.GetRequiredService<HashingGate>();
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var taken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = gate.RunAsync(() =>
        {
            taken.SetResult();
            return release.Task;
        });
        await taken.Task;

        // The slot is held: the first sign-in waits in the one queue place, and while it waits the queue is full.
        using var first = site.NewClient();
        var waiting = first.LogInAsync("nobody@example.com", "wrong password 1");
        for (var i = 0; i < 1000 && !gate.IsFull; i++)
        {
            await Task.Delay(10);
        }
        Assert.True(gate.IsFull, "the first sign-in never reached the queue");
        using var second = site.NewClient();
        var refusedAtOnce = await second.LogInAsync("nobody@example.com", "wrong password 2");
        var timedOut = await waiting;
        release.SetResult(true);
        await holding;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedAtOnce.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, timedOut.StatusCode);
        Assert.Equal([HashingMetrics.QueueFull, HashingMetrics.Timeout],
            refusals.GetMeasurementSnapshot().Select(m => (string)m.Tags["reason"]!).Order(StringComparer.Ordinal));
        // Only the held slot's own work was timed: the refused sign-ins hashed nothing.
        Assert.Single(durations.GetMeasurementSnapshot());
    }

    // This site's instruments only (test classes run in parallel, each site with its own meters).
    private static MetricCollector<double> Durations(SiteFactory site) =>
        new(site.Services.GetRequiredService<IMeterFactory>(), SmsTwoFactorMetrics.MeterName, "identitytwofactor.hashing.duration");

    private static MetricCollector<long> Refusals(SiteFactory site) =>
        new(site.Services.GetRequiredService<IMeterFactory>(), SmsTwoFactorMetrics.MeterName, "identitytwofactor.hashing.refused");
}
