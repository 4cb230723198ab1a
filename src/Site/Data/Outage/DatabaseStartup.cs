using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;
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
/// no longer waits for the rest. A request that arrives meanwhile runs up to its first database connection (the key
/// ring's first read included), which waits for the start (<see cref="Gate"/>): an anonymous page renders all but its
/// form's token in parallel. Hosted in another process (a test's WebApplicationFactory) the first attempt runs before the
/// host starts, so a settings problem still surfaces as the host's exception.
/// </remarks>
public sealed partial class DatabaseStartup(
    IOptions<DatabaseOptions> options, IHostApplicationLifetime lifetime, ILogger<DatabaseStartup> logger)
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(15);

    /// <summary>How long a connection opened during the start waits for it before its request is answered 503.</summary>
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(10);

    /// <summary>Set while the start itself runs: its own connections must not wait for it.</summary>
    private static readonly AsyncLocal<bool> InStart = new();

    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _started;
    private volatile bool _ready;
    private volatile bool _waitingForDatabase;

    /// <summary>True once the database part of the start has succeeded.</summary>
    public bool IsReady => _ready;

    /// <summary>True while the start waits for a database that does not answer (requests are then answered 503).</summary>
    public bool IsWaitingForDatabase => _waitingForDatabase;

    private volatile bool _migrationsApplied;

    /// <summary>True once this process has seen every migration it knows applied (at the start, or by a later
    /// <c>/readyz</c>): migrations are never taken back under a running site, so readiness then asks only whether the
    /// database answers.</summary>
    public bool MigrationsApplied
    {
        get => _migrationsApplied;
        set => _migrationsApplied = value;
    }

    /// <summary>Before a connection is opened outside a start in progress: waits (at most 10 s) for the start's first attempt;
    /// throws a <see cref="TimeoutException"/> (answered as an outage: 503) when the database part of the start has not
    /// succeeded by then.</summary>
    public async ValueTask WaitForStartAsync(CancellationToken cancellationToken)
    {
        if (!_started || _ready || InStart.Value)
        {
            return;
        }
        if (!_waitingForDatabase)
        {
            await Task.WhenAny(_firstAttempt.Task, Task.Delay(StartWait, cancellationToken));
        }
        if (!_ready)
        {
            throw new TimeoutException("The database part of the start has not completed.");
        }
    }

    /// <summary>The same, for a synchronous open (Data Protection reads its key ring synchronously).</summary>
    public void WaitForStart()
    {
        if (!_started || _ready || InStart.Value)
        {
            return;
        }
        if (!_waitingForDatabase)
        {
            _firstAttempt.Task.Wait(StartWait);
        }
        if (!_ready)
        {
            throw new TimeoutException("The database part of the start has not completed.");
        }
    }

    /// <summary>Makes every connection EF Core opens for the site wait for the start (<see cref="WaitForStartAsync"/>).</summary>
    public sealed class Gate(DatabaseStartup startup) : DbConnectionInterceptor
    {
        public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
        {
            startup.WaitForStart();
            return result;
        }

        public override async ValueTask<InterceptionResult> ConnectionOpeningAsync(
            DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            await startup.WaitForStartAsync(cancellationToken);
            return result;
        }
    }

    /// <summary>Runs <paramref name="prepare"/>, now or (<paramref name="inBackground"/>) on the thread pool; on a database
    /// outage keeps trying in the background.</summary>
    public void Start(Action prepare, bool inBackground)
    {
        var started = Stopwatch.GetTimestamp();
        _started = true; // from here on, connections outside the start wait for it (--migrate-only never gets here)
        if (inBackground)
        {
            _ = Task.Run(() => AttemptsAsync(prepare, started, firstAttempt: 1));
            return;
        }
        try
        {
            Run(prepare);
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
                Run(prepare);
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

    private static void Run(Action prepare)
    {
        InStart.Value = true;
        try
        {
            prepare();
        }
        finally
        {
            InStart.Value = false;
        }
    }

    private void Ready()
    {
        _waitingForDatabase = false;
        _ready = true;
        _firstAttempt.TrySetResult();
    }

    private void WaitingForDatabase(OutageKind kind, int attempt, TimeSpan next)
    {
        _waitingForDatabase = true;
        _firstAttempt.TrySetResult();
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

/// <summary>Marks when each request started (for the outage log line) and, while the start waits for a database that does
/// not answer, answers every request but the health endpoints with the 503 page.</summary>
public static partial class DatabaseOutageMiddleware
{

    public static IApplicationBuilder UseDatabaseOutagePages(this IApplicationBuilder app)
    {
        var startup = app.ApplicationServices.GetRequiredService<DatabaseStartup>();
        var monitor = app.ApplicationServices.GetRequiredService<DatabaseOutageMonitor>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseOutageHandler).FullName!);
        return app.Use((context, next) =>
        {
            DatabaseOutagePage.MarkStart(context);
            // While the start waits for a database that does not answer. A start in progress with the database answering
            // lets requests through: their first connection waits for it (DatabaseStartup.Gate).
            if (!startup.IsWaitingForDatabase || startup.IsReady
                || context.Request.Path.StartsWithSegments("/healthz") || context.Request.Path.StartsWithSegments("/readyz"))
            {
                return next(context);
            }
            monitor.Refused();
            LogNotReady(logger, context.Request.Method, context.Request.Path.Value ?? "/");
            return DatabaseOutagePage.WriteAsync(context);
        });
    }

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Database not ready yet (starting): {Method} {Path} answered 503")]
    private static partial void LogNotReady(ILogger logger, string method, string path);
}
