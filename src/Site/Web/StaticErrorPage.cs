using System.Globalization;

namespace IdentityTwoFactor.Web;

/// <summary>The pages written without Razor, the database or authentication (a database outage, a busy site): the site's
/// look (its stylesheet, header and footer) in one constant string each, cheap enough to write under a flood.</summary>
public static class StaticErrorPage
{
    /// <summary>The whole page.</summary>
    public static string Render(string title, string sentence, int status) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{title}} - Two-Factor Authentication</title>
            <link rel="stylesheet" href="/css/site.css">
        </head>
        <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="site-header">
                <a class="brand" href="/">Two-Factor Authentication</a>
                <nav aria-label="Main"><ul><li><a href="/about">About</a></li></ul></nav>
            </header>
            <main id="main">
                <h1>{{title}}</h1>
                <p>{{sentence}}</p>
                <p class="hint">Error {{status.ToString(CultureInfo.InvariantCulture)}}</p>
                <p><a href="/">Go to the home page</a></p>
            </main>
            <footer class="site-footer">
                <p>Codes are texted with RingCentral's SMS API. No JavaScript is used on this site.</p>
            </footer>
        </body>
        </html>
        """;

    /// <summary>Clears whatever the request had set and writes <paramref name="html"/> with a <c>Retry-After</c>.</summary>
    public static Task WriteAsync(HttpContext context, int status, int retryAfterSeconds, string html)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = status;
        response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
        response.ContentType = "text/html; charset=utf-8";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }
        return response.WriteAsync(html, context.RequestAborted);
    }
}
