using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Data.Outage;

/// <summary>
/// The database part of the start (migrations, the key ring check). When the database answers it runs before the site
/// listens, as before. When it does not (an outage: <see cref="DatabaseOutage.Classify"/>), the site listens anyway:
/// <c>/healthz</c> answers 200, <c>/readyz</c> 503, every page 503 with <c>Retry-After</c>, and the start is tried again in
/// the background (1 s, then doubling up to 15 s; one log line per attempt) until it succeeds, or until
/// <c>Database:StartupWait</c> has passed, when the process stops with exit code 1 so that its supervisor can restart it.
/// A settings problem found on a later attempt stops it the same way, with the usual one-line start-up errors.
/// </summary>
public sealed partial class DatabaseStartup(
    IOptions<DatabaseOptions> options, IHostApplicationLifetime lifetime, ILogger<DatabaseStartup> logger)
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(15);
    private volatile bool _ready;

    /// <summary>True once the database part of the start has succeeded.</summary>
    public bool IsReady => _ready;

    /// <summary>Runs <paramref name="prepare"/> now; on a database outage, keeps trying in the background.</summary>
    public void Start(Action prepare)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            prepare();
            _ready = true;
            return;
        }
        catch (Exception e) when (DatabaseOutage.Classify(e) is { } kind)
        {
            LogWaiting(logger, DatabaseOutage.Describe(kind), 1, 1);
        }
        _ = Task.Run(() => RetryAsync(prepare, started));
    }

    private async Task RetryAsync(Action prepare, long started)
    {
        var interval = TimeSpan.FromSeconds(1);
        for (var attempt = 2; ; attempt++)
        {
            try
            {
                await Task.Delay(interval, lifetime.ApplicationStopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                prepare();
                _ready = true;
                LogReady(logger, attempt, Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1));
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
                interval = interval * 2 > MaxInterval ? MaxInterval : interval * 2;
                LogWaiting(logger, DatabaseOutage.Describe(kind), attempt, (int)interval.TotalSeconds);
            }
            catch (Exception e) when (StartupErrors.Describe(e) is { Count: > 0 } problems)
            {
                Stop(StartupErrors.Report(problems));
                return;
            }
            catch (Exception e)
            {
                LogFailed(logger, e);
                Stop(StartupErrors.ExitCode);
                return;
            }
        }
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
    public static IApplicationBuilder UseDatabaseOutagePages(this IApplicationBuilder app)
    {
        var startup = app.ApplicationServices.GetRequiredService<DatabaseStartup>();
        var monitor = app.ApplicationServices.GetRequiredService<DatabaseOutageMonitor>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseOutageHandler).FullName!);
        return app.Use((context, next) =>
        {
            DatabaseOutagePage.MarkStart(context);
            if (startup.IsReady || context.Request.Path.StartsWithSegments("/healthz") || context.Request.Path.StartsWithSegments("/readyz"))
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
