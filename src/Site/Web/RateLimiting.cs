using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Web;

/// <summary>Section <c>RateLimits</c>: per client IP, a fixed window on each form that texts or checks a secret.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public bool Enabled { get; set; } = true;

    [Range(1, 100_000, ErrorMessage = "RateLimits:PermitLimit must be between 1 and 100000.")]
    public int PermitLimit { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "RateLimits:Window must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// ASP.NET Core's rate limiter as one named policy, <see cref="FormPolicy"/>, that every page with a form that texts or
/// checks a secret carries as endpoint metadata (<c>[EnableRateLimiting(RateLimiting.FormPolicy)]</c> on the page
/// model; a test fails for any POST handler without a policy). Partitioned by client and page; only POSTs count, so
/// viewing a form is never limited. IPv6 clients are keyed by their /64, the block one host usually gets. Counters are
/// per instance (in memory): behind several instances a reverse proxy should add its own per-IP limit.
/// </summary>
public static class RateLimiting
{
    public const string FormPolicy = "forms";

    public const string RetryAfterItem = "RateLimiting.RetryAfter";

    public static IServiceCollection AddSiteRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(FormPolicy, context =>
            {
                if (!HttpMethods.IsPost(context.Request.Method))
                {
                    return RateLimitPartition.GetNoLimiter("");
                }
                var settings = context.RequestServices.GetRequiredService<IOptionsMonitor<RateLimitOptions>>().CurrentValue;
                if (!settings.Enabled)
                {
                    return RateLimitPartition.GetNoLimiter("");
                }
                var page = (context.Request.Path.Value ?? "").ToUpperInvariant();
                return RateLimitPartition.GetFixedWindowLimiter(ClientKey(context.Connection.RemoteIpAddress) + " " + page, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.PermitLimit,
                    Window = settings.Window,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            options.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                    context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                    context.HttpContext.Items[RetryAfterItem] = TimeSpan.FromSeconds(seconds);
                }
                return ValueTask.CompletedTask;
            };
        });
        return services;
    }

    /// <summary>The client's bucket: an IPv4 address, or an IPv6 address's /64 (one host commonly holds a whole /64,
    /// so keying the full address would give it 2^64 buckets). The same network the code-guess client key uses.</summary>
    public static string ClientKey(IPAddress? address) => IdentityTwoFactor.Codes.HttpContextSmsCodeClient.Network(address);
}
