using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace IdentityTwoFactor.Web;

/// <summary>
/// Identity's cookie handler builds its redirects (to /login with the ReturnUrl, access denied, logout, return URL)
/// as absolute URLs from the request's scheme and Host header. Behind a proxy that is the wrong scheme or port, and a
/// forged Host would come back in Location. These redirects are made relative to the site instead.
/// </summary>
public static class RelativeRedirects
{
    public static IServiceCollection AddRelativeAuthenticationRedirects(this IServiceCollection services) =>
        // PostConfigure: after Identity and the site have set the events, for every cookie scheme.
        services.PostConfigureAll<CookieAuthenticationOptions>(options =>
        {
            options.Events.OnRedirectToLogin = Redirect;
            options.Events.OnRedirectToAccessDenied = Redirect;
            options.Events.OnRedirectToLogout = Redirect;
            options.Events.OnRedirectToReturnUrl = Redirect;
        });

    /// <summary>The path (with query) of a URL on this site; <paramref name="url"/> unchanged when it is already relative.</summary>
    public static string ToRelative(HttpRequest request, string url)
    {
        var origin = request.Scheme + Uri.SchemeDelimiter + request.Host.Value;
        return url.StartsWith(origin, StringComparison.OrdinalIgnoreCase) && (url.Length == origin.Length || url[origin.Length] == '/')
            ? (url.Length == origin.Length ? "/" : url[origin.Length..])
            : url;
    }

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        // The handler's default also redirects; it answers 401/403 only to script requests, which this site has none of.
        context.Response.Redirect(ToRelative(context.Request, context.RedirectUri));
        return Task.CompletedTask;
    }
}
