using System.Diagnostics;
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
    internal const string Html = $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Temporarily unavailable - Two-Factor Authentication</title>
            <link rel="stylesheet" href="/css/site.css">
        </head>
        <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="site-header">
                <a class="brand" href="/">Two-Factor Authentication</a>
                <nav aria-label="Main"><ul><li><a href="/about">About</a></li></ul></nav>
            </header>
            <main id="main">
                <h1>Temporarily unavailable</h1>
                <p>{{Sentence}}</p>
                <p class="hint">Error 503</p>
                <p><a href="/">Go to the home page</a></p>
            </main>
            <footer class="site-footer">
                <p>Codes are texted with RingCentral's SMS API. No JavaScript is used on this site.</p>
            </footer>
        </body>
        </html>
        """;

    /// <summary>Notes when the request started, for the elapsed time in the one log line.</summary>
    public static void MarkStart(HttpContext context) => context.Items[StartedItem] = Stopwatch.GetTimestamp();

    public static TimeSpan Elapsed(HttpContext context) =>
        context.Items[StartedItem] is long started ? Stopwatch.GetElapsedTime(started) : TimeSpan.Zero;

    /// <summary>Clears whatever the failed request had set and writes the 503 page.</summary>
    public static Task WriteAsync(HttpContext context)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
        response.ContentType = "text/html; charset=utf-8";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }
        return response.WriteAsync(Html, context.RequestAborted);
    }
}
