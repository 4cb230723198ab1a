using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Web;

/// <summary>
/// Section <c>ForwardedHeaders</c>: the client address and scheme from a TLS-terminating reverse proxy, believed only
/// when the connection comes from a trusted proxy (loopback always; <c>KnownProxies</c> and <c>KnownNetworks</c> add
/// more), and only the last <c>ForwardLimit</c> hops. A client that sends its own <c>X-Forwarded-For</c> through the
/// proxy gets its made-up entries ignored: the proxy appends the real address, and only that last entry is read.
/// </summary>
public static class ForwardedHeadersSetup
{
    public const string Section = "ForwardedHeaders";

    public static IServiceCollection AddSiteForwardedHeaders(this IServiceCollection services)
    {
        services.AddSingleton<ForwardedHeadersConfiguration>();
        services.AddSingleton<IConfigureOptions<ForwardedHeadersOptions>>(sp => sp.GetRequiredService<ForwardedHeadersConfiguration>());
        services.AddSingleton<IValidateOptions<ForwardedHeadersOptions>>(sp => sp.GetRequiredService<ForwardedHeadersConfiguration>());
        services.AddOptions<ForwardedHeadersOptions>().ValidateOnStart();
        return services;
    }

    /// <summary>First in the pipeline, so everything after it (HTTPS checks, rate limits, security activity, logs)
    /// sees the real client address and scheme.</summary>
    public static IApplicationBuilder UseSiteForwardedHeaders(this IApplicationBuilder app) => app.UseForwardedHeaders();
}
