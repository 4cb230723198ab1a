using System.Diagnostics.Metrics;
using IdentityTwoFactor.Metrics;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// The hashing gate's instruments, on the library's meter beside the texts and locks, for sizing the gate
/// (<see cref="HashingOptions"/>) in production: <c>identitytwofactor.hashing.duration</c>, the time each password hash
/// held its slot (its count is the hashes; its sum's rate divided by <see cref="HashingOptions.MaxConcurrent"/> is how
/// busy the slots are), and <c>identitytwofactor.hashing.refused</c>, the requests answered with the busy page, by
/// reason. Nothing is timed while no listener is enabled (metrics off: the default).
/// </summary>
public sealed class HashingMetrics
{
    /// <summary>Refused at once: every slot taken and the queue full (<see cref="HashingOptions.MaxQueue"/>).</summary>
    public const string QueueFull = "queue-full";

    /// <summary>Waited <see cref="HashingOptions.MaxWait"/> in the queue without getting a slot.</summary>
    public const string Timeout = "timeout";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _refused;

    public HashingMetrics(SmsTwoFactorMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _duration = metrics.Meter.CreateHistogram("identitytwofactor.hashing.duration", "s",
            "Time each password hash (sign-in, signup, reset, account change, the dummy hash for unknown emails) held its slot of the hashing gate.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2] });
        _refused = metrics.Meter.CreateCounter<long>("identitytwofactor.hashing.refused", "{request}",
            "Requests answered with the busy page (503) because no hash slot came free, by reason (queue-full, timeout).");
    }

    /// <summary>Whether a hash's time is wanted (a listener is enabled): the gate reads the clock only then.</summary>
    internal bool TimesHashes => _duration.Enabled;

    internal void RecordHash(long startTimestamp) =>
        _duration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);

    internal void RecordRefusal(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
