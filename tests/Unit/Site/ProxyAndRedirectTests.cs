using System.Net;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// The site in Production as it meets a reverse proxy, in process: which peers' forwarded headers count, plain HTTP
/// never a 500, redirects that never carry the Host header, and return URLs that stay on the site. The real nginx in
/// front of two real processes is <see cref="BehindNginxTests"/>.
/// </summary>
public sealed class ProxyAndRedirectTests(ProxyAndRedirectTests.SharedSite shared) : IClassFixture<ProxyAndRedirectTests.SharedSite>
{
    private const string Password = "correct horse battery";
    private const string Untrusted = "203.0.113.7";
    private static int _phone;
    private readonly SiteFactory _site = shared.Site;

    /// <summary>One site for the tests that need no settings of their own: each test signs up its own user.</summary>
    public sealed class SharedSite : IAsyncLifetime
    {
        public SiteFactory Site { get; private set; } = null!;

        public async Task InitializeAsync() => Site = await SiteFactory.StartAsync();

        public async Task DisposeAsync() => await Site.DisposeAsync();
    }

    [Fact]
    public async Task RedirectToLoginIsRelativeWhateverTheHostHeaderSays()
    {
        using var client = _site.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account");
        request.Headers.Host = "evil.example";

        var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?ReturnUrl=%2Faccount", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task EveryRedirectOfASignInStoryIsRelative()
    {
        using var client = _site.NewClient();
        client.Http.DefaultRequestHeaders.Host = "evil.example";
        var email = await SignUpAsync(client);

        var responses = new List<HttpResponseMessage>
        {
            await client.Http.GetAsync(new Uri("/account", UriKind.Relative)),
            await client.PostFormAsync("/login?ReturnUrl=%2Faccount", ("Input.Email", email), ("Input.Password", "wrong password")),
            await client.PostFormAsync("/login?ReturnUrl=%2Faccount", ("Input.Email", email), ("Input.Password", Password)),
            await client.PostFormAsync("/", [], "/logout"),
        };

        Assert.All(responses, r =>
        {
            Assert.True((int)r.StatusCode is >= 300 and < 400, $"{r.RequestMessage?.RequestUri} answered {(int)r.StatusCode}");
            Assert.StartsWith("/", r.Headers.Location!.OriginalString, StringComparison.Ordinal);
            Assert.DoesNotContain("evil.example", r.Headers.Location.OriginalString, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task LoginLeadsBackToTheReturnUrlAfterThePassword()
    {
        using var client = _site.NewClient();
        var email = await SignUpAsync(client);
        var toLogin = await client.Http.GetAsync(new Uri("/account", UriKind.Relative));

        var login = await client.PostFormAsync(toLogin.Headers.Location!.OriginalString, ("Input.Email", email), ("Input.Password", Password));

        Assert.Equal("/account", login.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync(login.Headers.Location)).StatusCode);
    }

    [Fact]
    public async Task AWrongPasswordKeepsTheReturnUrlForTheNextTry()
    {
        using var client = _site.NewClient();
        var email = await SignUpAsync(client);

        var wrong = await client.PostFormAsync("/login?ReturnUrl=%2Faccount", ("Input.Email", email), ("Input.Password", "wrong password"));

        Assert.Equal("/login?ReturnUrl=%2Faccount", wrong.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task LoginLeadsBackToTheReturnUrlAfterTheTextedSignInCode()
    {
        using var client = _site.NewClient();
        var email = await SignUpAsync(client);
        await client.LogInAsync(email, Password);
        await client.PostFormAsync("/account/two-factor", ("Input.CurrentPassword", Password));
        await client.PostFormAsync("/", [], "/logout");

        var login = await client.PostFormAsync("/login?ReturnUrl=%2Faccount%2Fpassword", ("Input.Email", email), ("Input.Password", Password));
        Assert.Equal("/login/code?ReturnUrl=%2Faccount%2Fpassword", login.Headers.Location?.OriginalString);
        var code = _site.RingCentral.Messages[^1].Text[..6];
        var signedIn = await client.PostFormAsync(login.Headers.Location!.OriginalString, ("Input.Code", code));

        Assert.Equal("/account/password", signedIn.Headers.Location?.OriginalString);
    }

    /// <summary>The query strings as a browser would send them: plain, percent-encoded, double-encoded.</summary>
    public static TheoryData<string> OffSiteReturnUrls =>
    [
        "//evil.example",
        "%2F%2Fevil.example",
        "%2f%2fevil.example%2F",
        "%252F%252Fevil.example",
        "/%5Cevil.example",
        "/\\evil.example",
        "%2F%5Cevil.example",
        "https://evil.example",
        "https%3A%2F%2Fevil.example",
        "%2F%09%2Fevil.example",
        "%2F%0D%0A%2Fevil.example",
        "~%2F%2Fevil.example",
        "javascript:alert(1)",
    ];

    [Theory]
    [MemberData(nameof(OffSiteReturnUrls))]
    public async Task ReturnUrlsOffTheSiteAreNotFollowed(string returnUrl)
    {
        using var client = _site.NewClient();
        var email = await SignUpAsync(client);

        var login = await client.PostFormAsync("/login?ReturnUrl=" + returnUrl, ("Input.Email", email), ("Input.Password", Password));

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location?.OriginalString);
    }

    public static TheoryData<string> Pages => ["/", "/signup", "/login", "/login/code", "/unlock", "/reset-password", "/reset-password?step=code", "/confirm-phone", "/about", "/account", "/logout", "/css/site.css", "/nowhere", "/healthz", "/readyz"];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task PlainHttpGetsNeverAnswer500(string path)
    {
        using var http = PlainHttpClient();

        var response = await http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.True((int)response.StatusCode < 500, $"GET {path} over plain HTTP answered {(int)response.StatusCode}");
    }

    [Theory]
    [InlineData("/login")]
    [InlineData("/signup")]
    [InlineData("/unlock")]
    [InlineData("/reset-password")]
    [InlineData("/confirm-phone")]
    [InlineData("/logout")]
    public async Task PlainHttpFormPostsGetAPageSayingHttpsIsNeeded(string path)
    {
        using var http = PlainHttpClient();
        var form = await http.GetAsync(new Uri(path, UriKind.Relative));
        Assert.True((int)form.StatusCode < 500);

        using var body = new FormUrlEncodedContent([new("Input.Email", "ada@example.com"), new("Input.Password", Password)]);
        var response = await http.PostAsync(new Uri(path, UriKind.Relative), body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("This site must be reached over HTTPS", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFormCookieIsSecureEvenOnAPlainHttpPage()
    {
        using var http = _site.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = new Uri("http://localhost") });

        var response = await http.GetAsync(new Uri("/login", UriKind.Relative));

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("itf.af=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PlainHttpIsRedirectedWith308WhenTheHttpsPortIsKnown()
    {
        await using var site = await SiteFactory.StartAsync(new() { ["HTTPS_PORT"] = "8443" });
        using var http = site.CreateClient(new() { AllowAutoRedirect = false, BaseAddress = new Uri("http://localhost") });

        var get = await http.GetAsync(new Uri("/login?x=1", UriKind.Relative));
        using var body = new FormUrlEncodedContent([new("a", "b")]);
        var post = await http.PostAsync(new Uri("/unlock", UriKind.Relative), body);

        Assert.Equal(HttpStatusCode.PermanentRedirect, get.StatusCode);
        Assert.Equal("https://localhost:8443/login?x=1", get.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.PermanentRedirect, post.StatusCode);
    }

    [Fact]
    public async Task ForwardedProtoFromALoopbackProxyCounts()
    {
        var response = await PostFromAsync(_site, "127.0.0.1", false, ("X-Forwarded-Proto", "https"));

        Assert.Equal(StatusCodes.Status400BadRequest, response.Response.StatusCode);
        Assert.False(response.Items.ContainsKey(IdentityTwoFactor.Web.HttpsRequirement.NotHttpsItem), "the forwarded https was ignored");
        Assert.True(response.Request.IsHttps);
    }

    [Fact]
    public async Task ForwardedHeadersFromAnUntrustedPeerAreIgnored()
    {
        var response = await PostFromAsync(_site, Untrusted, false, ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "198.51.100.1"));

        Assert.True(response.Items.ContainsKey(IdentityTwoFactor.Web.HttpsRequirement.NotHttpsItem));
        Assert.Equal(Untrusted, response.Connection.RemoteIpAddress?.ToString());
    }

    [Fact]
    public async Task ARotatingSpoofedForwardedForFromAnUntrustedPeerStillHitsTheLimit()
    {
        await using var site = await SiteFactory.StartAsync(new() { ["RateLimits:Enabled"] = "true", ["RateLimits:PermitLimit"] = "3" });

        var statuses = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await PostFromAsync(site, Untrusted, true, ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", $"198.51.100.{i}"))).Response.StatusCode);
        }

        Assert.Equal([400, 400, 400, 429, 429], statuses);
    }

    [Fact]
    public async Task AConfiguredProxyIsTrustedForTheClientAddress()
    {
        await using var site = await SiteFactory.StartAsync(new()
        {
            ["RateLimits:Enabled"] = "true",
            ["RateLimits:PermitLimit"] = "3",
            ["ForwardedHeaders:KnownProxies"] = "192.0.2.10, " + Untrusted,
        });

        var fromDifferentClients = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            fromDifferentClients.Add((await PostFromAsync(site, Untrusted, true, ("X-Forwarded-For", $"198.51.100.{i}"))).Response.StatusCode);
        }
        var oneClient = await PostFromAsync(site, Untrusted, true, ("X-Forwarded-For", "198.51.100.0"));

        Assert.DoesNotContain(429, fromDifferentClients);
        Assert.Equal("198.51.100.0", oneClient.Connection.RemoteIpAddress?.ToString());
    }

    [Fact]
    public async Task OnlyTheLastForwardedHopIsBelievedByDefault()
    {
        // nginx appends the real client to what the client sent: "spoofed, real". ForwardLimit 1 reads "real" only.
        var response = await PostFromAsync(_site, "127.0.0.1", true, ("X-Forwarded-For", "198.51.100.66, 192.0.2.44"));

        Assert.Equal("192.0.2.44", response.Connection.RemoteIpAddress?.ToString());
    }

    [Fact]
    public async Task TheCodeTextSaysOneMinuteNotOneMinutes()
    {
        await using var site = await SiteFactory.StartAsync(new() { ["TwoFactor:CodeLifetime"] = "00:01:00" });
        using var client = site.NewClient();

        await client.SignUpAsync($"user-{Guid.NewGuid():N}@example.com", Password, NextPhone());

        Assert.Contains("It expires in 1 minute. ", site.RingCentral.Messages[^1].Text, StringComparison.Ordinal);
    }

    private HttpClient PlainHttpClient() =>
        _site.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri("http://localhost") });

    /// <summary>A POST /login without a form token, as if from <paramref name="peer"/>; TestServer lets the test set the
    /// connection's address, which a real socket would.</summary>
    private static Task<HttpContext> PostFromAsync(SiteFactory site, string peer, bool useHttps, params (string Name, string Value)[] headers) =>
        site.Server.SendAsync(context =>
        {
            context.Request.Method = HttpMethods.Post;
            context.Request.Scheme = useHttps ? "https" : "http";
            context.Request.Path = "/login";
            context.Request.ContentType = "application/x-www-form-urlencoded";
            context.Request.Body = new MemoryStream("Input.Email=a%40example.com&Input.Password=x"u8.ToArray());
            context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
            foreach (var (name, value) in headers)
            {
                context.Request.Headers[name] = value;
            }
        });

    private static string NextPhone() => $"(650) 253-{Interlocked.Increment(ref _phone) + 2000:0000}";

    private static async Task<string> SignUpAsync(FormClient client)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var response = await client.SignUpAsync(email, Password, NextPhone());
        Assert.Equal(FormClient.AfterSignUp, response.Headers.Location?.OriginalString);
        return email;
    }
}
