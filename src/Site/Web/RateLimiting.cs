using System.ComponentModel.DataAnnotations;
using System.Globalization;
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
/// ASP.NET Core's rate limiter, partitioned by client IP and form. Only POSTs to the forms that can text a code or
/// check a password or code count; pages and static files are never limited. Counters are per instance (in memory):
/// behind several instances a reverse proxy should add its own per-IP limit.
/// </summary>
public static class RateLimiting
{
    public const string RetryAfterItem = "RateLimiting.RetryAfter";

    private static readonly string[] LimitedPaths = ["/login", "/signup", "/unlock", "/reset-password"];

    public static IServiceCollection AddSiteRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                // Pages and static files first, before any options lookup: they are most requests.
                var form = LimitedForm(context.Request);
                if (form is null)
                {
                    return RateLimitPartition.GetNoLimiter("");
                }
                var settings = context.RequestServices.GetRequiredService<IOptionsMonitor<RateLimitOptions>>().CurrentValue;
                if (!settings.Enabled)
                {
                    return RateLimitPartition.GetNoLimiter("");
                }
                var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetFixedWindowLimiter(client + " " + form, _ => new FixedWindowRateLimiterOptions
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

    private static string? LimitedForm(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method))
        {
            return null;
        }
        var path = request.Path.Value ?? "";
        return LimitedPaths.FirstOrDefault(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase));
    }
}
