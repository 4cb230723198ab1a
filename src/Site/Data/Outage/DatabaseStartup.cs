using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Data.Outage;

/// <summary>
/// The database part of the start (migrations, the key ring check). When the database does not answer (an outage:
/// <see cref="DatabaseOutage.Classify"/>), the site listens anyway: <c>/healthz</c> answers 200, <c>/readyz</c> 503,
/// every page 503 with <c>Retry-After</c>, and the start is tried again in the background (1 s, then doubling up to 15 s;
/// one log line per attempt) until it succeeds, or until <c>Database:StartupWait</c> has passed, when the process stops
/// with exit code 1 so that its supervisor can restart it. A settings problem found then stops it the same way, with the
/// usual one-line start-up errors.
/// </summary>
/// <remarks>
/// In the site's own process the first attempt also runs in the background, while the host starts: about 0.7 s of a
/// 1.4 s start is this part (the first EF Core context, opening SQLite, the first query, decrypting the key ring), and it
/// no longer waits for the rest. Requests that arrive meanwhile wait for it (<see cref="WhenReadyAsync"/>) rather than
/// being refused. Hosted in another process (a test's WebApplicationFactory) the first attempt runs before the host
/// starts, so a settings problem still surfaces as the host's exception.
/// </remarks>
public sealed partial class DatabaseStartup(
    IOptions<DatabaseOptions> options, IHostApplicationLifetime lifetime, ILogger<DatabaseStartup> logger)
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(15);
    private readonly TaskCompletionSource _readiness = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _ready;
    private volatile bool _waitingForDatabase;

    /// <summary>True once the database part of the start has succeeded.</summary>
    public bool IsReady => _ready;

    /// <summary>True while the start waits for a database that does not answer (requests are then answered 503).</summary>
    public bool IsWaitingForDatabase => _waitingForDatabase;

    /// <summary>Completes when the start has succeeded (never, if the site stops first).</summary>
    public Task WhenReadyAsync => _readiness.Task;

    /// <summary>Runs <paramref name="prepare"/>, now or (<paramref name="inBackground"/>) on the thread pool; on a database
    /// outage keeps trying in the background.</summary>
    public void Start(Action prepare, bool inBackground)
    {
        var started = Stopwatch.GetTimestamp();
        if (inBackground)
        {
            _ = Task.Run(() => AttemptsAsync(prepare, started, firstAttempt: 1));
            return;
        }
        try
        {
            prepare();
            Ready();
            return;
        }
        catch (Exception e) when (DatabaseOutage.Classify(e) is { } kind)
        {
            WaitingForDatabase(kind, attempt: 1, next: FirstInterval);
        }
        _ = Task.Run(() => AttemptsAsync(prepare, started, firstAttempt: 2));
    }

    private static readonly TimeSpan FirstInterval = TimeSpan.FromSeconds(1);

    private async Task AttemptsAsync(Action prepare, long started, int firstAttempt)
    {
        var interval = FirstInterval; // the wait before the next attempt: 1 s, then doubling up to MaxInterval
        for (var attempt = firstAttempt; ; attempt++)
        {
            if (attempt > 1)
            {
                try
                {
                    await Task.Delay(interval, lifetime.ApplicationStopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            try
            {
                prepare();
                Ready();
                if (attempt > 1)
                {
                    LogReady(logger, attempt, Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1));
                }
                return;
            }
            catch (Exception e) when (DatabaseOutage.Classify(e) is { } kind)
            {
                if (Stopwatch.GetElapsedTime(started) >= options.Value.StartupWait)
                {
                    Stop(StartupErrors.Report([
                        $"ConnectionStrings:Site: the database did not answer for {options.Value.StartupWait} ({DatabaseOutage.Describe(kind)}). Check the connection string and that the database server is up, or raise Database:StartupWait."]));
                    return;
                }
                if (attempt > 1)
                {
                    interval = interval * 2 > MaxInterval ? MaxInterval : interval * 2;
                }
                WaitingForDatabase(kind, attempt, interval);
            }
            catch (Exception e)
            {
                // Found while the site already listens: a settings problem in its one line, anything else with its trace.
                if (StartupErrors.Describe(e) is { Count: > 0 } problems)
                {
                    Stop(StartupErrors.Report(problems));
                }
                else
                {
                    LogFailed(logger, e);
                    Stop(StartupErrors.ExitCode);
                }
                return;
            }
        }
    }

    private void Ready()
    {
        _waitingForDatabase = false;
        _ready = true;
        _readiness.TrySetResult();
    }

    private void WaitingForDatabase(OutageKind kind, int attempt, TimeSpan next)
    {
        _waitingForDatabase = true;
        LogWaiting(logger, DatabaseOutage.Describe(kind), attempt, (int)next.TotalSeconds);
    }

    private void Stop(int exitCode)
    {
        Environment.ExitCode = exitCode;
        lifetime.StopApplication();
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "The database does not answer yet ({Kind}, attempt {Attempt}): serving 503 pages, next attempt in {Seconds} s")]
    private static partial void LogWaiting(ILogger logger, string kind, int attempt, int seconds);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "The database answers: start-up completed at attempt {Attempt}, {Seconds} s after start")]
    private static partial void LogReady(ILogger logger, int attempt, double seconds);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Critical, Message = "Preparing the database failed; the site stops")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>Marks when each request started (for the outage log line) and, until <see cref="DatabaseStartup.IsReady"/>,
/// answers every request but the health endpoints with the 503 page.</summary>
public static partial class DatabaseOutageMiddleware
{
    /// <summary>How long a request waits for a start in progress (the database answering) before the 503 page.</summary>
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(10);

    public static IApplicationBuilder UseDatabaseOutagePages(this IApplicationBuilder app)
    {
        var startup = app.ApplicationServices.GetRequiredService<DatabaseStartup>();
        var monitor = app.ApplicationServices.GetRequiredService<DatabaseOutageMonitor>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseOutageHandler).FullName!);
        return app.Use(async (context, next) =>
        {
            DatabaseOutagePage.MarkStart(context);
            if (!startup.IsReady && !context.Request.Path.StartsWithSegments("/healthz") && !context.Request.Path.StartsWithSegments("/readyz"))
            {
                if (!startup.IsWaitingForDatabase)
                {
                    // A start in progress with the database answering: a moment's wait, not a refusal.
                    await Task.WhenAny(startup.WhenReadyAsync, Task.Delay(StartWait, context.RequestAborted));
                }
                if (!startup.IsReady)
                {
                    monitor.Refused();
                    LogNotReady(logger, context.Request.Method, context.Request.Path.Value ?? "/");
                    await DatabaseOutagePage.WriteAsync(context);
                    return;
                }
            }
            await next(context);
        });
    }

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Database not ready yet (starting): {Method} {Path} answered 503")]
    private static partial void LogNotReady(ILogger logger, string method, string path);
}
