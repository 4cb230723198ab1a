using System.Net;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using IPNetwork = System.Net.IPNetwork;

namespace IdentityTwoFactor.Web;

/// <summary>Section <c>Metrics</c>: the library's instruments and ASP.NET Core's own, exported with OpenTelemetry's
/// Prometheus exporter at <c>/metrics</c>. Off by default (<c>Metrics:Enabled</c>); when on, only clients in
/// <c>Metrics:AllowedNetworks</c> (default loopback) are answered, every other one gets the site's 404, as for any
/// unknown path. Behind the trusted proxy the client is the proxy's forwarded address, as everywhere else on the site
/// (<see cref="ForwardedHeadersSetup"/>): a scrape through the proxy from outside is refused like any outside request,
/// and a scraper on the site's own machine reaches the site directly.</summary>
public static class MetricsSetup
{
    public const string Section = "Metrics";
    public const string Path = "/metrics";

    /// <summary>ASP.NET Core's own meters (.NET 10): requests, connections, routing, exceptions, rate limiting, Identity,
    /// authentication and authorization.</summary>
    public static readonly string[] AspNetCoreMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "Microsoft.AspNetCore.Identity",
        "Microsoft.AspNetCore.Authentication",
        "Microsoft.AspNetCore.Authorization",
    ];

    public static IHostApplicationBuilder AddSiteMetrics(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<MetricsConfiguration>();
        services.AddSingleton<IConfigureOptions<MetricsOptions>>(sp => sp.GetRequiredService<MetricsConfiguration>());
        services.AddSingleton<IValidateOptions<MetricsOptions>>(sp => sp.GetRequiredService<MetricsConfiguration>());
        services.AddOptions<MetricsOptions>().ValidateOnStart();
        // Decided while the services are added: when off, no meter provider listens and the instruments cost nothing.
        if (!MetricsConfiguration.IsEnabled(builder.Configuration))
        {
            return builder;
        }
        AddOpenTelemetry(services);
        return builder;
    }

    // Its own method, so that with metrics off (the default) the OpenTelemetry assemblies are never loaded: the JIT
    // loads the assemblies a method names when it compiles the method.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void AddOpenTelemetry(IServiceCollection services) =>
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("IdentityTwoFactor.Site"))
            .WithMetrics(metrics => metrics
                .AddMeter(SmsTwoFactorMetrics.MeterName)
                .AddMeter(AspNetCoreMeters)
                // Every scrape sees the counters as they are (only allowed networks can scrape, so no cache is needed
                // against floods).
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

    /// <summary>After the forwarded headers (the client address is the real one) and the security headers; before
    /// everything else, so a scrape never reaches the pages, the sessions or the rate limits (the database only through
    /// the daily gauge's cached read, <see cref="DailyTextsGauge"/>).</summary>
    public static WebApplication UseSiteMetrics(this WebApplication app)
    {
        if (!MetricsConfiguration.IsEnabled(app.Configuration))
        {
            return app;
        }
        // Made now, so the gauge exists from the first scrape.
        _ = app.Services.GetRequiredService<DailyTextsGauge>();
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        UseScrapingEndpoint(app, options);
        return app;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void UseScrapingEndpoint(WebApplication app, MetricsOptions options) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
            context.Request.Path == Path && HttpMethods.IsGet(context.Request.Method) && options.Allows(context.Connection.RemoteIpAddress));
}

/// <summary>The <c>Metrics</c> settings, read by <see cref="MetricsConfiguration"/>.</summary>
public sealed class MetricsOptions
{
    public bool Enabled { get; set; }

    /// <summary>The networks whose clients may scrape; loopback (127.0.0.0/8, ::1/128) unless set.</summary>
    public IList<IPNetwork> AllowedNetworks { get; } = [];

    public bool Allows(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        return AllowedNetworks.Any(n => n.Contains(address));
    }
}
