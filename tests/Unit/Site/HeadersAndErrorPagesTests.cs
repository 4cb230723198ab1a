using System.Net;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The baseline's headers and cookies, and error pages in the site's style without stack traces (Production).</summary>
public sealed class HeadersAndErrorPagesTests : IAsyncLifetime
{
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync();

    public async Task DisposeAsync() => await _site.DisposeAsync();

    public static TheoryData<string> Paths => ["/", "/signup", "/login", "/unlock", "/reset-password", "/about", "/css/site.css", "/nowhere"];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task EveryResponseCarriesTheSecurityHeaders(string path)
    {
        using var client = _site.NewClient();

        var response = await client.Http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(
            "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.StartsWith("max-age=", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CookiesAreHttpOnlySameSiteAndSecure()
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using (var signup = _site.NewClient())
        {
            await signup.SignUpAsync(email, "correct horse battery");
        }
        using var client = _site.NewClient();
        var formResponse = await client.Http.GetAsync(new Uri("/login", UriKind.Relative));
        var login = await client.LogInAsync(email, "correct horse battery");

        var cookies = formResponse.Headers.GetValues("Set-Cookie").Concat(login.Headers.GetValues("Set-Cookie"))
            .Where(c => !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase)).ToList();

        Assert.Contains(cookies, c => c.StartsWith("itf.auth=", StringComparison.Ordinal));
        Assert.Contains(cookies, c => c.StartsWith("itf.af=", StringComparison.Ordinal));
        Assert.All(cookies, c =>
        {
            Assert.Contains("httponly", c, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=", c, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public async Task AWrongAntiforgeryTokenGetsTheFriendly400Page()
    {
        using var client = _site.NewClient();
        await client.GetTokenAsync("/login");

        var response = await client.PostFormAsync("/login", [new("Input.Email", "a@example.com"), new("Input.Password", "x"), new("__RequestVerificationToken", "forged")], withToken: false);

        await AssertErrorPageAsync(response, HttpStatusCode.BadRequest, "The form could not be accepted");
    }

    [Fact]
    public async Task AnUnknownAddressGetsTheFriendly404Page()
    {
        using var client = _site.NewClient();

        var response = await client.Http.GetAsync(new Uri("/wp-admin.php", UriKind.Relative));

        await AssertErrorPageAsync(response, HttpStatusCode.NotFound, "Page not found");
    }

    [Fact]
    public async Task AnUnsupportedMethodGetsTheFriendly405Page()
    {
        using var client = _site.NewClient();

        using var request = new HttpRequestMessage(HttpMethod.Delete, "/login");
        var response = await client.Http.SendAsync(request);

        await AssertErrorPageAsync(response, HttpStatusCode.MethodNotAllowed, "That action is not allowed here");
    }

    [Fact]
    public async Task AServerFaultGetsTheFriendly500PageWithoutAStackTrace()
    {
        using var client = _site.NewClient();
        var token = await client.GetTokenAsync("/login");
        await _site.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DROP TABLE \"UserCodes\"; DROP TABLE \"Users\";"));

        using var form = new FormUrlEncodedContent([new("Input.Email", "a@example.com"), new("Input.Password", "x"), new("__RequestVerificationToken", token)]);
        var response = await client.Http.PostAsync(new Uri("/login", UriKind.Relative), form);

        await AssertErrorPageAsync(response, HttpStatusCode.InternalServerError, "Something went wrong");
    }

    private static async Task AssertErrorPageAsync(HttpResponseMessage response, HttpStatusCode status, string heading)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains($"<h1>{heading}</h1>", body, StringComparison.Ordinal);
        Assert.Contains("/css/site.css", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.Contains("script-src 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }
}
