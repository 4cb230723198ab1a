using System.Collections.Concurrent;
using System.Diagnostics;

namespace IdentityTwoFactor.Bench.LoadGen;

internal enum OutcomeKind
{
    /// <summary>The expected answer (for a flood login: the normal failure).</summary>
    Done,

    /// <summary>The hashing gate's busy page: 503 with <see cref="Outcome.BusySentence"/> (issue 16).</summary>
    Busy,

    /// <summary>Anything else: another status or page, a 5xx that is not the busy page, a timeout.</summary>
    Error,
}

/// <summary>How one op of a flood phase ended. <paramref name="SetupMs"/>: time the op spent on the bench's own preparation
/// (the unlock story's re-lock in SQL), left out of its latency: no user's request does it.</summary>
internal readonly record struct Outcome(OutcomeKind Kind, string? Error = null, bool ServerError = false, bool BusyWithoutRetryAfter = false,
    double SetupMs = 0)
{
    public const string BusySentence = "The site is busy; please try again in a few seconds.";

    public static Outcome Done { get; } = new(OutcomeKind.Done);

    public static bool IsBusy(Answer answer) => answer.Status == 503 && answer.Body.Contains(BusySentence, StringComparison.Ordinal);

    /// <summary>The busy page where the op may get one (a login), else an error naming <paramref name="what"/>.</summary>
    public static Outcome BusyOrUnexpected(string what, Answer answer) =>
        IsBusy(answer) ? new(OutcomeKind.Busy, BusyWithoutRetryAfter: !answer.RetryAfter) : Unexpected(what, answer);

    /// <summary>An unexpected answer; a 5xx other than the busy page is flagged as a server error.</summary>
    public static Outcome Unexpected(string what, Answer answer) =>
        new(OutcomeKind.Error, $"{what}, got {answer}{(IsBusy(answer) ? " (busy page)" : "")}", answer.Status >= 500 && !IsBusy(answer));

    public static Outcome Failed(string error) => new(OutcomeKind.Error, error);
}

internal delegate Task<Outcome> FloodOperation(Browser browser, CancellationToken ct);

/// <summary>Clients of one kind in a flood phase: <paramref name="Operation"/> is made once per client (it may keep
/// state, e.g. its antiforgery token). <paramref name="Interval"/>: each client starts one op per interval (staggered
/// across the clients), or the next at once when one ran over; null: each starts the next op as the last one ends.</summary>
internal sealed record FloodGroup(string Name, int Clients, Func<int, FloodOperation> Operation, bool FreshCookiesEachOp, TimeSpan? Interval = null);

/// <summary>One group's figures over a phase. <paramref name="ElapsedSeconds"/> runs from the phase's start to the
/// group's last answer (clients start no op after the phase's duration; the ones in flight finish).</summary>
internal sealed record GroupResult(string Name, int Clients, long Ops, long Done, long Busy, long Errors, long ServerErrors, long Timeouts,
    long BusyWithoutRetryAfter, double ElapsedSeconds, double P50Ms, double P99Ms, double MaxMs, IReadOnlyList<string> ErrorSamples)
{
    public double OpsPerSecond => Ops / ElapsedSeconds;
    public double DonePerSecond => Done / ElapsedSeconds;
    public double BusyShare => Ops == 0 ? double.NaN : (double)Busy / Ops;
}

/// <summary>One phase of J for one app: <paramref name="FloodClients"/> 0 is the quiet phase. <paramref name="Paced"/>:
/// the GET and unlock clients start their ops on a fixed schedule, like people; otherwise each starts its next op the
/// moment the last one ends. CPU in cores (CPU seconds ÷ wall seconds over the whole phase): the server process, and
/// this load generator's process (which also hosts the fake RingCentral server).</summary>
internal sealed record FloodPhase(string App, int Repeat, int FloodClients, bool Paced, double Seconds, double ServerCores, double LoadGenCores,
    double PeakRssMiB, IReadOnlyList<GroupResult> Groups)
{
    /// <summary>The flood phase's hashing ceiling: logins/s with every core verifying the site's hash at once, timed
    /// right before and right after the phase (NaN for a quiet phase). The machine's speed drifts within minutes, so
    /// each phase is judged against the ceiling of its own moment.</summary>
    public double Ceiling { get; init; } = double.NaN;

    public const string Get = "GET";
    public const string Unlock = "unlock";
    public const string Login = "login";

    public string Phase => (FloodClients == 0 ? "quiet" : $"flood {FloodClients}") + (Paced ? ", paced" : ", unpaced");

    public GroupResult? Group(string name) => Groups.FirstOrDefault(g => g.Name == name);
}

internal static class FloodRunner
{
    /// <summary>Runs every group at once on one clock for <paramref name="duration"/>, like <see cref="LoadRunner"/>:
    /// each client starts a new op while time is left, so the phase stops by itself.</summary>
    public static async Task<FloodPhase> RunAsync(AppProcess app, HttpClient http, int repeat, int floodClients, bool paced, TimeSpan duration,
        IReadOnlyList<FloodGroup> groups)
    {
        using var hardStop = new CancellationTokenSource(duration + TimeSpan.FromSeconds(60));
        using var self = Process.GetCurrentProcess();
        var serverBefore = app.CpuSeconds();
        var ownBefore = self.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var results = await Task.WhenAll(groups.Select(g => RunGroupAsync(g, http, wall, duration, hardStop.Token)));
        var seconds = wall.Elapsed.TotalSeconds;
        var serverCpu = app.CpuSeconds() - serverBefore;
        self.Refresh();
        var ownCpu = (self.TotalProcessorTime - ownBefore).TotalSeconds;
        return new FloodPhase(app.Name, repeat, floodClients, paced, seconds, serverCpu / seconds, ownCpu / seconds, app.PeakRssMiB(), results);
    }

    private static async Task<GroupResult> RunGroupAsync(FloodGroup group, HttpClient http, Stopwatch wall, TimeSpan duration, CancellationToken hardStop)
    {
        var latencies = new ConcurrentBag<double[]>();
        var errorSamples = new ConcurrentQueue<string>();
        long done = 0, busy = 0, errors = 0, serverErrors = 0, timeouts = 0, busyWithoutRetryAfter = 0;
        var loops = Enumerable.Range(0, group.Clients).Select(i => Task.Run(async () =>
        {
            var browser = new Browser(http);
            var operation = group.Operation(i);
            var mine = new List<double>(1024);
            // Paced: client i starts an op every Interval (staggered across the clients), or at once when the last one
            // ran over; it never bursts to catch up.
            var next = group.Interval is { } first ? first * i / group.Clients : TimeSpan.Zero;
            while (wall.Elapsed < duration && !hardStop.IsCancellationRequested)
            {
                if (group.Interval is { } interval)
                {
                    var wait = next - wall.Elapsed;
                    if (wait > TimeSpan.Zero)
                    {
                        try
                        {
                            await Task.Delay(wait, hardStop);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                        if (wall.Elapsed >= duration)
                        {
                            break;
                        }
                    }
                    next = Max(next + interval, wall.Elapsed);
                }
                if (group.FreshCookiesEachOp)
                {
                    browser.ClearCookies();
                }
                var start = Stopwatch.GetTimestamp();
                Outcome outcome;
                try
                {
                    outcome = await operation(browser, hardStop);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException)
                {
                    if (e is OperationCanceledException)
                    {
                        Interlocked.Increment(ref timeouts);
                    }
                    outcome = Outcome.Failed(e.GetType().Name + ": " + e.Message);
                }
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds - outcome.SetupMs);
                switch (outcome.Kind)
                {
                    case OutcomeKind.Done:
                        Interlocked.Increment(ref done);
                        break;
                    case OutcomeKind.Busy:
                        Interlocked.Increment(ref busy);
                        if (outcome.BusyWithoutRetryAfter)
                        {
                            Interlocked.Increment(ref busyWithoutRetryAfter);
                        }
                        break;
                    default:
                        Interlocked.Increment(ref errors);
                        if (outcome.ServerError)
                        {
                            Interlocked.Increment(ref serverErrors);
                        }
                        if (errorSamples.Count < 5)
                        {
                            errorSamples.Enqueue(outcome.Error ?? "error");
                        }
                        break;
                }
            }
            latencies.Add([.. mine]);
        })).ToArray();
        await Task.WhenAll(loops);
        var elapsed = wall.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new GroupResult(group.Name, group.Clients, all.Length, done, busy, errors, serverErrors, timeouts, busyWithoutRetryAfter, elapsed,
            LoadRunner.Percentile(all, 0.50), LoadRunner.Percentile(all, 0.99), all.Length == 0 ? double.NaN : all[^1], [.. errorSamples]);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
