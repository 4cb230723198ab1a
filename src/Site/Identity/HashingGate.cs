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

    /// <summary>Requests that may wait for a slot. Default: 16 per core, so a burst of ordinary sign-ins (the bench's 16
    /// clients on 2 cores) never sees the busy page, while a full queue still drains within about
    /// <see cref="MaxWait"/> at 50-100 ms a hash (see the README's Performance section).</summary>
    [Range(0, 100_000, ErrorMessage = "Hashing:MaxQueue must be between 0 and 100000.")]
    public int MaxQueue { get; set; } = 16 * Environment.ProcessorCount;

    /// <summary>How long a request may wait for a slot before it is answered "busy". Default 1.5 s: 16 sign-ins at once
    /// on 2 cores at 100 ms a hash wait at most ~0.8 s, and a refused or queued sign-in is still answered within 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Hashing:MaxWait must be between 00:00:00 and 00:01:00.")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Runs each hash on a core of its own for its length (Linux; <see cref="CorePinning"/>). Default on: with
    /// a slot per core, the scheduler otherwise leaves a core idle about a tenth of the time under load. Turn it off on
    /// a machine shared with other busy processes, where a hash should go to whichever core is free.</summary>
    public bool PinToCores { get; set; } = true;
}

/// <summary>Thrown when no hash slot could be had in time; answered with the busy page (<see cref="SiteBusyHandler"/>).
/// It is thrown before the work it guards starts, so nothing was counted, stored or texted.</summary>
public sealed class SiteBusyException() : Exception("No password-hash slot was free in time.");

/// <summary>
/// Bounds the site's password work: every password verification and hash (sign-in, signup, reset, account changes, the
/// dummy hash for unknown emails) runs inside <see cref="RunAsync{T}"/>, at most <see cref="HashingOptions.MaxConcurrent"/>
/// at once, with at most <see cref="HashingOptions.MaxQueue"/> requests waiting up to <see cref="HashingOptions.MaxWait"/>.
/// A request beyond that gets <see cref="SiteBusyException"/> before it changed anything, after <see cref="HashingOptions.MaxWait"/>
/// (the time a queued request may wait: a flood's clients cannot turn refusals into a tight loop of requests, and a
/// refusal takes as long whether the queue was full or the wait ran out). Requests that hash
/// nothing (every GET, unlock and resend, the refusal of a locked account) never come here, so a flood of password
/// guesses cannot queue them behind hashes. Guarded work nested in guarded work runs in the outer slot.
/// </summary>
public sealed class HashingGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _maxInside;
    private readonly TimeSpan _maxWait;
    private readonly HashingMetrics _metrics;
    private readonly AsyncLocal<bool> _holding = new();
    private int _inside;
    private int _refusing;

    /// <summary>Refusals held back at once; past it a refusal is answered at once (bounds the open requests).</summary>
    private const int MaxRefusing = 1024;

    public HashingGate(IOptions<HashingOptions> options, HashingMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _metrics = metrics;
        var o = options.Value;
        _slots = new SemaphoreSlim(o.MaxConcurrent, o.MaxConcurrent);
        _maxInside = o.MaxConcurrent + o.MaxQueue;
        _maxWait = o.MaxWait;
        // A hash holds its thread-pool thread for its whole ~100 ms. With the pool's minimum at the core count, a full gate
        // held every thread the pool starts without delay, so pages and the next queued hash waited for the pool to add
        // threads (bench J: GET p99 0.6 s, slots idle between hashes). Keep threads for the rest beside the slots.
        ThreadPool.GetMinThreads(out var workers, out var io);
        var wanted = o.MaxConcurrent + 4 * Environment.ProcessorCount;
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, io);
        }
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
            await RefuseAsync(cancellationToken);
        }
        try
        {
            if (!await _slots.WaitAsync(_maxWait, cancellationToken))
            {
                _metrics.RecordRefusal(HashingMetrics.Timeout);
                throw new SiteBusyException();
            }
            var started = _metrics.TimesHashes ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            try
            {
                // Seen by the work and by anything it awaits, not by the caller once this method returns.
                _holding.Value = true;
                return await work();
            }
            finally
            {
                _slots.Release();
                if (started != 0)
                {
                    _metrics.RecordHash(started);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }

    /// <summary>True when every slot is taken and the queue is full: a request now would be refused.</summary>
    public bool IsFull => Volatile.Read(ref _inside) >= _maxInside;

    /// <summary>Waits <see cref="HashingOptions.MaxWait"/> (no CPU: a timer), then throws <see cref="SiteBusyException"/>.</summary>
    public async Task RefuseAsync(CancellationToken cancellationToken = default)
    {
        _metrics.RecordRefusal(HashingMetrics.QueueFull);
        if (Interlocked.Increment(ref _refusing) <= MaxRefusing)
        {
            try
            {
                await Task.Delay(_maxWait, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _refusing);
            }
        }
        else
        {
            Interlocked.Decrement(ref _refusing);
        }
        throw new SiteBusyException();
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
        await WriteAsync(httpContext);
        return true;
    }

    /// <summary>Clears whatever the request had set and writes the busy page (503, <c>Retry-After</c>).</summary>
    public static Task WriteAsync(HttpContext context) =>
        StaticErrorPage.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, RetryAfterSeconds, Html);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "Password hashing is at its limit (Hashing:MaxConcurrent, MaxQueue, MaxWait): requests are answered with the busy page (at most one such line a minute)")]
    private static partial void LogBusy(ILogger logger);
}

/// <summary>Marks a page whose POST hashes a password (sign-in, signup): while the gate is full such a POST is refused
/// before the page runs (no antiforgery check, no model binding), so refusals under a flood cost almost nothing.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class HashesPasswordAttribute : Attribute
{
    /// <summary>The form field with the account's email, when a locked account's POST hashes nothing: such a POST is let
    /// through to be refused as locked (one lookup), so the owner still learns the account is locked and how to unlock it.</summary>
    public string? LockedAccountEmailField { get; init; }
}

public static class HashingGateMiddleware
{
    /// <summary>After routing: a POST to a <see cref="HashesPasswordAttribute"/> page while <see cref="HashingGate.IsFull"/>
    /// gets the busy page after the gate's wait (a locked account's sign-in excepted). Otherwise the page runs, and takes
    /// its slot where it hashes.</summary>
    public static IApplicationBuilder UseHashingGateShortcut(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (HttpMethods.IsPost(context.Request.Method)
                && context.GetEndpoint()?.Metadata.GetMetadata<HashesPasswordAttribute>() is { } marker
                && context.RequestServices.GetRequiredService<HashingGate>() is { IsFull: true } gate
                && !await IsLockedAccountAsync(context, marker))
            {
                try
                {
                    await gate.RefuseAsync(context.RequestAborted);
                }
                catch (SiteBusyException)
                {
                    await SiteBusyHandler.WriteAsync(context);
                    return;
                }
            }
            await next(context);
        });

    private static async Task<bool> IsLockedAccountAsync(HttpContext context, HashesPasswordAttribute marker)
    {
        if (marker.LockedAccountEmailField is not { } field || !context.Request.HasFormContentType)
        {
            return false;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form[field].ToString() is not { Length: > 0 and <= 256 } email)
        {
            return false;
        }
        var users = context.RequestServices.GetRequiredService<TwoFactorUserManager>();
        return await users.FindByEmailAsync(email) is { } user && await users.IsLockedOutAsync(user);
    }
}
