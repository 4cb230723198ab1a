using System.Diagnostics;
using IdentityTwoFactor.Web;
using Microsoft.AspNetCore.Diagnostics;

namespace IdentityTwoFactor.Data.Outage;

/// <summary>
/// Answers a request that failed because the database is unavailable (<see cref="DatabaseOutage.Classify"/>) with a 503
/// page and <c>Retry-After</c>, and logs it in one line (no stack trace). Runs inside <c>UseExceptionHandler</c>, before
/// the error page would be re-executed: that page, authentication and the session store would need the database again.
/// Any other exception is left to the 500 page, and logged with its trace.
/// </summary>
public sealed partial class DatabaseOutageHandler(DatabaseOutageMonitor monitor, ILogger<DatabaseOutageHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (DatabaseOutage.Classify(exception) is not { } kind || httpContext.Response.HasStarted)
        {
            return false;
        }
        monitor.Failed(kind);
        monitor.Refused();
        LogRefused(logger, DatabaseOutage.Describe(kind), httpContext.Request.Method, httpContext.Request.Path.Value ?? "/",
            (long)DatabaseOutagePage.Elapsed(httpContext).TotalMilliseconds);
        await DatabaseOutagePage.WriteAsync(httpContext);
        return true;
    }

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Database unavailable ({Kind}): {Method} {Path} answered 503 after {ElapsedMs} ms")]
    private static partial void LogRefused(ILogger logger, string kind, string method, string path, long elapsedMs);
}

/// <summary>The 503 page: the site's look (its stylesheet, header and footer), written without Razor, the database or
/// authentication, so it renders whatever is down.</summary>
public static class DatabaseOutagePage
{
    /// <summary>What the page asks: try again in a minute.</summary>
    public const int RetryAfterSeconds = 60;

    public const string Sentence = "The site cannot reach its database right now. Nothing was changed. Please try again in a minute.";

    private const string StartedItem = "IdentityTwoFactor.RequestStarted";

    /// <summary>The whole page (internal: the E2E suite measures it on a phone).</summary>
    internal static readonly string Html = StaticErrorPage.Render("Temporarily unavailable", Sentence, StatusCodes.Status503ServiceUnavailable);

    /// <summary>Notes when the request started, for the elapsed time in the one log line.</summary>
    public static void MarkStart(HttpContext context) => context.Items[StartedItem] = Stopwatch.GetTimestamp();

    public static TimeSpan Elapsed(HttpContext context) =>
        context.Items[StartedItem] is long started ? Stopwatch.GetElapsedTime(started) : TimeSpan.Zero;

    /// <summary>Clears whatever the failed request had set and writes the 503 page.</summary>
    public static Task WriteAsync(HttpContext context) =>
        StaticErrorPage.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, RetryAfterSeconds, Html);
}
