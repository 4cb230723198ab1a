using System.Net;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.RazorPages.Infrastructure;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The per-client limits as endpoint metadata: no form that texts or checks a secret can be forgotten.</summary>
public sealed class RateLimitPolicyTests
{
    /// <summary>The test's stand-in for the client address a proxy or the socket would give.</summary>
    private const string ClientHeader = "X-Test-Client-Address";

    [Fact]
    public async Task EveryPageHandlerThatAcceptsPostHasARateLimitPolicy()
    {
        await using var site = await SiteFactory.StartAsync();
        var loader = site.Services.GetRequiredService<PageLoader>();
        var pages = site.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => e.Metadata.GetMetadata<PageActionDescriptor>())
            .OfType<PageActionDescriptor>()
            .DistinctBy(p => p.Id)
            .ToList();

        var posting = new List<string>();
        var unlimited = new List<string>();
        foreach (var page in pages)
        {
            var compiled = await loader.LoadAsync(page, EndpointMetadataCollection.Empty);
            foreach (var handler in compiled.HandlerMethods.Where(h => string.Equals(h.HttpMethod, "POST", StringComparison.OrdinalIgnoreCase)))
            {
                var name = $"{page.ViewEnginePath} POST {handler.Name ?? "(default)"}";
                posting.Add(name);
                // The error page is the one exception, and it must say so: a refused POST is re-executed there.
                var exempt = page.ViewEnginePath == "/Error" && compiled.EndpointMetadata.OfType<DisableRateLimitingAttribute>().Any();
                var policy = compiled.EndpointMetadata.OfType<EnableRateLimitingAttribute>().LastOrDefault();
                if (!exempt && policy?.PolicyName != IdentityTwoFactor.Web.RateLimiting.FormPolicy)
                {
                    unlimited.Add(name);
                }
            }
        }

        // The forms the issue names must be among those found, or the enumeration itself is broken.
        foreach (var expected in new[] { "/ConfirmPhone POST Resend", "/ConfirmPhone POST (default)", "/LoginCode POST (default)", "/Account/Phone POST Confirm",
            "/Account/TwoFactor POST (default)", "/Account/Password POST (default)", "/Unlock POST Resend", "/ResetPassword POST Reset", "/Signup POST (default)", "/Login POST (default)",
            "/Unlock POST Recovery", "/ResetPassword POST Recovery", "/LoginCode POST Recovery", "/RecoveryCodes POST Download", "/Account/RecoveryCodes POST (default)",
            "/Support/Index POST (default)", "/Support/Account POST Unlock", "/Support/Account POST EndSessions", "/Support/Account POST RequirePhoneConfirmation" })
        {
            Assert.Contains(expected, posting);
        }
        Assert.True(unlimited.Count == 0, "POST handlers without a rate-limit policy: " + string.Join(", ", unlimited));
    }

    [Fact]
    public async Task ConfirmPhoneResendsFromOneClientAreLimitedAndItsPageIsNot()
    {
        await using var site = await LimitedSiteAsync();
        using var client = site.NewClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await client.PostFormAsync("/confirm-phone", [new("Input.Email", $"x{i}@example.com")], "/confirm-phone?handler=Resend")).StatusCode);
        }

        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests], statuses);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync(new Uri("/confirm-phone", UriKind.Relative))).StatusCode);
        }
    }

    [Fact]
    public async Task IPv6ClientsOfOneSlash64ShareOneBucket()
    {
        await using var site = await LimitedSiteAsync();
        using var client = site.NewClient();
        var token = await client.GetTokenAsync("/login");

        var statuses = new List<HttpStatusCode>();
        foreach (var address in new[] { "2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2:abcd::9", "2001:db8:1:3::1", "192.0.2.7" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/login", UriKind.Relative))
            {
                Content = new FormUrlEncodedContent([new("Input.Email", "a@example.com"), new("Input.Password", "x"), new("__RequestVerificationToken", token)]),
            };
            request.Headers.Add(ClientHeader, address);
            statuses.Add((await client.Http.SendAsync(request)).StatusCode);
        }

        // Three from the first /64, the fourth from it refused; another /64 and an IPv4 client have their own buckets.
        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests,
            HttpStatusCode.Redirect, HttpStatusCode.Redirect], statuses);
    }

    private static Task<SiteFactory> LimitedSiteAsync() =>
        SiteFactory.StartAsync(new() { ["RateLimits:Enabled"] = "true", ["RateLimits:PermitLimit"] = "3", ["RateLimits:Window"] = "00:01:00" },
            s => s.AddSingleton<IStartupFilter, ClientAddressFromHeader>());

    /// <summary>Sets the connection's remote address from a test header, before the site's own pipeline.</summary>
    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue(ClientHeader, out var value) && IPAddress.TryParse(value.ToString(), out var address))
                {
                    context.Connection.RemoteIpAddress = address;
                }
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
