namespace IdentityTwoFactor.Web;

/// <summary>
/// Outside Development the site's cookies are Secure, so it only works over HTTPS (directly, or behind a proxy that
/// says so in <c>X-Forwarded-Proto</c>). A plain-HTTP request is redirected with 308 when the HTTPS port is known
/// (<c>ASPNETCORE_HTTPS_PORT</c>, or a Kestrel https endpoint); otherwise pages still render and a form post gets a
/// 400 page that says why, instead of the 500 antiforgery throws for a non-SSL request.
/// </summary>
public static class HttpsRequirement
{
    /// <summary>Set on a refused plain-HTTP post, so the error page can say what to do.</summary>
    public const string NotHttpsItem = "HttpsRequirement.NotHttps";

    public static IServiceCollection AddSiteHttpsRedirection(this IServiceCollection services) =>
        // 308 keeps the method and body: a form posted to http:// is re-posted to https://, not turned into a GET.
        services.AddHttpsRedirection(o => o.RedirectStatusCode = StatusCodes.Status308PermanentRedirect);

    public static IApplicationBuilder UseHttpsForForms(this IApplicationBuilder app)
    {
        app.UseHttpsRedirection();
        return app.Use(static (context, next) =>
        {
            var request = context.Request;
            if (request.IsHttps || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
                || context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>() is not null)
            {
                return next(context);
            }
            context.Items[NotHttpsItem] = true;
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        });
    }
}
