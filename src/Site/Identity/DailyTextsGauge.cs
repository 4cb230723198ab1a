using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using IdentityTwoFactor.Metrics;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// <c>identitytwofactor.texts.daily_remaining</c>: how many texts the site's daily cap (<c>TwoFactor:MaxTextsPerDay</c>)
/// still allows today (UTC), all instances together; nothing is reported while the cap is off. The count lives in the
/// database (the budget's row for the day), and a scrape must not cost a query each: the value is cached for
/// <see cref="CacheFor"/>, and read again sooner only after this instance claimed or refunded a text
/// (<see cref="Invalidate"/>). So a scraper hammering <c>/metrics</c> makes at most one query per
/// <see cref="CacheFor"/> plus one per text this instance sent; texts sent by other instances show within
/// <see cref="CacheFor"/>.
/// </summary>
public sealed class DailyTextsGauge
{
    /// <summary>How long a value read from the database is reported before it is read again.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(15);

    private readonly IServiceScopeFactory _scopes;
    private readonly IOptions<TwoFactorOptions> _options;
    private readonly Lock _lock = new();
    private long _readAt;
    private int? _remaining;
    private bool _stale = true;

    public DailyTextsGauge(SmsTwoFactorMetrics metrics, IServiceScopeFactory scopes, IOptions<TwoFactorOptions> options)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        (_scopes, _options) = (scopes, options);
        metrics.Meter.CreateObservableGauge("identitytwofactor.texts.daily_remaining", Observe, "{text}",
            "Texts the site's daily cap (TwoFactor:MaxTextsPerDay) still allows today (UTC), all instances together; read from the database at most every 15 s and after this instance's own texts.");
    }

    /// <summary>This instance changed the day's count: the next scrape reads it again.</summary>
    public void Invalidate() => Volatile.Write(ref _stale, true);

    private IEnumerable<Measurement<long>> Observe()
    {
        if (_options.Value.MaxTextsPerDay <= 0)
        {
            return [];
        }
        lock (_lock)
        {
            if (Volatile.Read(ref _stale) || Stopwatch.GetElapsedTime(_readAt) >= CacheFor)
            {
                Volatile.Write(ref _stale, false);
                _readAt = Stopwatch.GetTimestamp();
                try
                {
                    // The exporter calls back synchronously; the one query is bounded by Database:CommandTimeout.
                    using var scope = _scopes.CreateScope();
                    _remaining = scope.ServiceProvider.GetRequiredService<ISmsBudget>().TextsLeftTodayAsync(CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is DbException or TimeoutException or InvalidOperationException)
                {
                    // The database is away (the outage pages say so): no value rather than a stale one, tried again
                    // after CacheFor.
                    _remaining = null;
                }
            }
            return _remaining is { } left ? [new Measurement<long>(left)] : [];
        }
    }
}
