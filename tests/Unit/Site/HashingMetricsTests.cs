using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Extensions.DependencyInjection;

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
        using var seen = new Measurements(site.Services.GetRequiredService<IMeterFactory>());
        using var client = site.NewClient();

        Assert.Equal(HttpStatusCode.Redirect, (await client.SignUpAsync("ann@example.com", Password, "(650) 253-0001")).StatusCode);
        var afterSignup = seen.Durations.Length;
        await client.LogInAsync("ann@example.com", Password);
        using var stranger = site.NewClient();
        await stranger.LogInAsync("nobody@example.com", "wrong password 1");

        // The signup's hash, then one more for the sign-in and one for the unknown email's dummy hash.
        Assert.Equal(1, afterSignup);
        Assert.Equal(3, seen.Durations.Length);
        // Each is the hash's real time: more than nothing, far less than a minute (the test site hashes with 1,000 PBKDF2
        // iterations, about a millisecond; production's 100,000 take 45-110 ms).
        Assert.All(seen.Durations, seconds => Assert.True(seconds is > 0 and < 30, $"{seconds} s"));
        Assert.Empty(seen.Refusals);
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
        using var seen = new Measurements(site.Services.GetRequiredService<IMeterFactory>());
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
        Assert.Equal([HashingMetrics.QueueFull, HashingMetrics.Timeout], seen.Refusals.Order(StringComparer.Ordinal));
        // Only the held slot's own work was timed: the refused sign-ins hashed nothing.
        Assert.Single(seen.Durations);
    }

    /// <summary>This site's hashing instruments only (test classes run in parallel, each site with its own meters).</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<double> _durations = new();
        private readonly ConcurrentQueue<string> _refusals = new();

        public Measurements(IMeterFactory siteMeters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == siteMeters && instrument.Name.StartsWith("identitytwofactor.hashing.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) => _durations.Enqueue(seconds));
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason")
                    {
                        _refusals.Enqueue((string)tag.Value!);
                    }
                }
            });
            _listener.Start();
        }

        public double[] Durations => [.. _durations];

        public string[] Refusals => [.. _refusals];

        public void Dispose() => _listener.Dispose();
    }
}
