using System.Collections.Concurrent;
using System.Diagnostics;

namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>What one operation (a full browser sequence) did: null when it went as expected, else why not.</summary>
internal delegate Task<string?> Operation(Browser browser, CancellationToken ct);

internal sealed record RunResult(
    string Scenario, string App, int Repeat, int Clients, long Ops, long Errors, double ElapsedSeconds,
    double P50Ms, double P99Ms, double CpuMsPerOp, double PeakRssMiB, IReadOnlyList<string> ErrorSamples)
{
    public double OpsPerSecond => Ops / ElapsedSeconds;

    /// <summary>Scenario-specific figures (texts/s, token requests, ...).</summary>
    public Dictionary<string, double> Extra { get; } = new(StringComparer.Ordinal);
}

internal static class LoadRunner
{
    /// <summary>
    /// Runs <paramref name="clients"/> loops of <paramref name="operation"/> for <paramref name="duration"/>: each loop
    /// starts a new operation while time is left, so the run stops by itself (at most one operation past the end,
    /// itself bounded by the HTTP timeout). Server CPU is read from /proc before and after.
    /// </summary>
    public static async Task<RunResult> RunAsync(string scenario, AppProcess app, HttpClient http, int repeat, int clients,
        TimeSpan duration, Func<int, Operation> operationForClient, bool freshCookiesEachOp = true)
    {
        var latencies = new ConcurrentBag<double[]>();
        var errorSamples = new ConcurrentQueue<string>();
        long errors = 0;
        using var hardStop = new CancellationTokenSource(duration + TimeSpan.FromSeconds(60));
        var cpuBefore = app.CpuSeconds();
        var wall = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            var browser = new Browser(http);
            var operation = operationForClient(i);
            var mine = new List<double>(4096);
            while (wall.Elapsed < duration && !hardStop.IsCancellationRequested)
            {
                if (freshCookiesEachOp)
                {
                    browser.ClearCookies();
                }
                var start = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    error = await operation(browser, hardStop.Token);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException)
                {
                    error = e.GetType().Name + ": " + e.Message;
                }
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (error is not null)
                {
                    Interlocked.Increment(ref errors);
                    if (errorSamples.Count < 5)
                    {
                        errorSamples.Enqueue(error);
                    }
                    if (error.StartsWith("STOP", StringComparison.Ordinal))
                    {
                        break;
                    }
                }
            }
            latencies.Add([.. mine]);
        })).ToArray();
        await Task.WhenAll(loops);
        var elapsed = wall.Elapsed.TotalSeconds;
        var cpuAfter = app.CpuSeconds();

        var all = latencies.SelectMany(l => l).Order().ToArray();
        var ops = all.Length;
        return new RunResult(scenario, app.Name, repeat, clients, ops, errors, elapsed,
            Percentile(all, 0.50), Percentile(all, 0.99),
            ops == 0 ? double.NaN : (cpuAfter - cpuBefore) * 1000 / ops,
            app.PeakRssMiB(), [.. errorSamples]);
    }

    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var index = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
