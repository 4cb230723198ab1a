using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>Settings of <see cref="HashingGate"/> (section <c>Hashing</c>).</summary>
public sealed class HashingOptions
{
    public const string Section = "Hashing";

    /// <summary>Password hashes computed at once. Default: the number of cores (each hash keeps one core busy).</summary>
    [Range(1, 1024, ErrorMessage = "Hashing:MaxConcurrent must be between 1 and 1024.")]
    public int MaxConcurrent { get; set; } = Environment.ProcessorCount;

    /// <summary>Requests that may wait for a slot. Default: four per core, enough to keep every slot busy without a
    /// request waiting more than about two hashes' time per core (see the README's Performance section).</summary>
    [Range(0, 100_000, ErrorMessage = "Hashing:MaxQueue must be between 0 and 100000.")]
    public int MaxQueue { get; set; } = 4 * Environment.ProcessorCount;

    /// <summary>How long a request may wait for a slot before it is answered "busy". Default one second.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Hashing:MaxWait must be between 00:00:00 and 00:01:00.")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Thrown when no hash slot could be had in time; answered with the busy page (<see cref="SiteBusyHandler"/>).
/// It is thrown before the work it guards starts, so nothing was counted, stored or texted.</summary>
public sealed class SiteBusyException() : Exception("No password-hash slot was free in time.");

/// <summary>
/// Bounds the site's password work: every password verification and hash (sign-in, signup, reset, account changes, the
/// dummy hash for unknown emails) runs inside <see cref="RunAsync{T}"/>, at most <see cref="HashingOptions.MaxConcurrent"/>
/// at once, with at most <see cref="HashingOptions.MaxQueue"/> requests waiting up to <see cref="HashingOptions.MaxWait"/>.
/// A request beyond that gets <see cref="SiteBusyException"/> at once, before it changed anything. Requests that hash
/// nothing (every GET, unlock and resend, the refusal of a locked account) never come here, so a flood of password
/// guesses cannot queue them behind hashes. Guarded work nested in guarded work runs in the outer slot.
/// </summary>
public sealed class HashingGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _maxInside;
    private readonly TimeSpan _maxWait;
    private readonly AsyncLocal<bool> _holding = new();
    private int _inside;

    public HashingGate(IOptions<HashingOptions> options)
    {
        var o = options.Value;
        _slots = new SemaphoreSlim(o.MaxConcurrent, o.MaxConcurrent);
        _maxInside = o.MaxConcurrent + o.MaxQueue;
        _maxWait = o.MaxWait;
    }

    /// <summary>Runs <paramref name="work"/> in a hash slot.</summary>
    /// <exception cref="SiteBusyException">The queue is full, or no slot came free within the wait.</exception>
    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (_holding.Value)
        {
            return await work();
        }
        if (Interlocked.Increment(ref _inside) > _maxInside)
        {
            Interlocked.Decrement(ref _inside);
            throw new SiteBusyException();
        }
        try
        {
            if (!await _slots.WaitAsync(_maxWait, cancellationToken))
            {
                throw new SiteBusyException();
            }
            try
            {
                // Seen by the work and by anything it awaits, not by the caller once this method returns.
                _holding.Value = true;
                return await work();
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>Runs synchronous hashing work (a verify against the dummy hash) in a slot.</summary>
    public Task RunAsync(Action work, CancellationToken cancellationToken = default) =>
        RunAsync(() =>
        {
            work();
            return Task.FromResult(true);
        }, cancellationToken);
}

/// <summary>Answers <see cref="SiteBusyException"/> with the busy page: 503, <c>Retry-After</c>, the site's look, no
/// Razor and no database. A warning says the limit is reached, at most once a minute (a flood would otherwise fill the
/// log with one line per refused request).</summary>
public sealed partial class SiteBusyHandler(ILogger<SiteBusyHandler> logger) : IExceptionHandler
{
    public const string Sentence = "The site is busy; please try again in a few seconds.";

    public const int RetryAfterSeconds = 5;

    internal static readonly string Html = StaticErrorPage.Render("Busy", Sentence + " Nothing was changed.", StatusCodes.Status503ServiceUnavailable);

    private static long s_lastWarning;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not SiteBusyException || httpContext.Response.HasStarted)
        {
            return false;
        }
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref s_lastWarning);
        if (now - last > 60_000 && Interlocked.CompareExchange(ref s_lastWarning, now, last) == last)
        {
            LogBusy(logger);
        }
        await StaticErrorPage.WriteAsync(httpContext, StatusCodes.Status503ServiceUnavailable, RetryAfterSeconds, Html);
        return true;
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Password hashing is at its limit (Hashing:MaxConcurrent, MaxQueue, MaxWait): requests are answered with the busy page (at most one such line a minute)")]
    private static partial void LogBusy(ILogger logger);
}
