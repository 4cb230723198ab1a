using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Tests.Unit.Support;
using Npgsql;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// The database goes away under a real site process on its own PostgreSQL cluster: stopped mid-traffic, paused
/// (SIGSTOP) under 161 concurrent requests, restarted behind the pool's back, and absent at start. Every answer is a
/// 200 that needed no database or a 503 page with Retry-After, within the bounds; never a 500 or a stack trace; the
/// site comes back by itself; no acknowledged signup is lost; the log has one line per refused request.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string OutageSentence = "The site cannot reach its database right now. Nothing was changed. Please try again in a minute.";
    private static int _phone;
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-outage-").FullName;
    private readonly string _key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private PostgresCluster _cluster = null!;
    private FakeRingCentralServer _ringCentral = null!;
    private string _connectionString = "";
    private SiteProcess? _site;

    public async Task InitializeAsync()
    {
        _cluster = PostgresCluster.Start();
        _connectionString = _cluster.NewDatabase();
        _ringCentral = await FakeRingCentralServer.StartNewAsync();
    }

    public async Task DisposeAsync()
    {
        _site?.Dispose();
        _cluster.Dispose();
        await _ringCentral.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task AStoppedDatabaseIsA503ForEveryoneAndTheSiteComesBackWithNoAcknowledgedSignupLost()
    {
        var site = await StartSiteAsync();
        var (email, _) = await SignUpAsync(site);
        using var signedIn = Browser(site);
        Assert.Equal("/", (await signedIn.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await signedIn.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);

        // Signups keep coming while the database stops.
        var acknowledged = new ConcurrentBag<string>();
        var answers = new ConcurrentBag<HttpStatusCode>();
        using var stopTraffic = new CancellationTokenSource();
        var traffic = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var client = Browser(site);
            while (!stopTraffic.IsCancellationRequested)
            {
                var newEmail = $"flow-{Guid.NewGuid():N}@example.com";
                var phone = $"(650) 253-{5000 + Interlocked.Increment(ref _phone) % 4000:0000}";
                try
                {
                    var signup = await client.PostFormAsync("/signup",
                        ("Input.Email", newEmail), ("Input.Password", Password), ("Input.ConfirmPassword", Password),
                        ("Input.Phone", phone), ("Input.FirstName", "Flo"), ("Input.LastName", "Flow"));
                    answers.Add(signup.StatusCode);
                    if (signup.StatusCode == HttpStatusCode.Redirect)
                    {
                        acknowledged.Add(newEmail);
                    }
                }
                catch (HttpRequestException)
                {
                    // The token GET itself may be the one refused: counted below through the answers it did get.
                }
            }
        })).ToArray();
        await Task.Delay(1500);
        _cluster.Stop();
        await Task.Delay(1500);
        await stopTraffic.CancelAsync();
        await Task.WhenAll(traffic);

        // Every kind of request while it is down.
        using var anonymous = Browser(site);
        var loginForm = await anonymous.Http.GetAsync(new Uri("/login", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, loginForm.StatusCode); // needs no database: the key ring is cached
        var token = await anonymous.GetTokenAsync("/login");
        var down = new List<(string What, HttpResponseMessage Response)>
        {
            ("signed-in GET /", await signedIn.Http.GetAsync(new Uri("/", UriKind.Relative))),
            ("signed-in GET /about", await signedIn.Http.GetAsync(new Uri("/about", UriKind.Relative))),
            ("signed-in GET /account", await signedIn.Http.GetAsync(new Uri("/account", UriKind.Relative))),
            ("anonymous POST /login", await anonymous.Http.PostAsync(new Uri("/login", UriKind.Relative), Form(("Input.Email", email), ("Input.Password", Password), ("__RequestVerificationToken", token)))),
            ("anonymous POST /reset-password", await anonymous.Http.PostAsync(new Uri("/reset-password", UriKind.Relative), Form(("Input.Email", email), ("__RequestVerificationToken", token)))),
            ("anonymous POST /unlock?handler=Resend", await anonymous.Http.PostAsync(new Uri("/unlock?handler=Resend", UriKind.Relative), Form(("Input.Email", email), ("__RequestVerificationToken", token)))),
        };
        foreach (var (what, response) in down)
        {
            await AssertOutagePageAsync(what, response);
        }
        var ready = await anonymous.Http.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.True(ready.Headers.RetryAfter is not null, "/readyz answered 503 without Retry-After.");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        Assert.DoesNotContain(HttpStatusCode.InternalServerError, answers);

        // Back: the next request of each kind succeeds, on the same process.
        _cluster.StartServer();
        Assert.Equal(HttpStatusCode.OK, (await signedIn.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        var again = await anonymous.LogInAsync(email, Password);
        Assert.Equal("/", again.Headers.Location?.OriginalString);
        var (later, _) = await SignUpAsync(site);

        // Nothing acknowledged was lost; the log has no stack trace, one line per refused request, and one warning at
        // each end of the outage.
        var stored = await EmailsAsync();
        Assert.All(acknowledged, e => Assert.Contains(e, stored));
        Assert.Contains(later, stored);
        var log = site.Output;
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
        Assert.Single(Lines(log, "The database is unavailable ("));
        Assert.Single(Lines(log, "The database answers again after"));
        var refused = answers.Count(a => a == HttpStatusCode.ServiceUnavailable) + down.Count;
        Assert.True(Lines(log, "answered 503 after").Count >= refused, $"{Lines(log, "answered 503 after").Count} log lines for {refused} refused requests:\n{log}");
    }

    [Fact]
    public async Task APausedDatabaseLeavesNoRequestHangingPastTheBound()
    {
        var site = await StartSiteAsync();
        var (email, _) = await SignUpAsync(site);
        var signedIn = Enumerable.Range(0, 4).Select(_ => Browser(site)).ToArray();
        foreach (var b in signedIn)
        {
            Assert.Equal("/", (await b.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        }
        using var anonymous = Browser(site);
        var token = await anonymous.GetTokenAsync("/login");

        _cluster.Pause();
        // The worst case with the defaults: a statement on an open connection times out (Database:CommandTimeout, 5 s),
        // then Npgsql sends PostgreSQL's cancel request over a new connection, which can wait Database:OpenTimeout (3 s)
        // twice (connect, then the request); plus 2 s of slack for a loaded 2-core machine.
        var bound = TimeSpan.FromSeconds(5 + 3 + 3 + 2);
        var requests = Enumerable.Range(0, 161).Select(async i =>
        {
            var watch = Stopwatch.StartNew();
            var response = (i % 3) switch
            {
                0 => await signedIn[i % signedIn.Length].Http.GetAsync(new Uri("/account", UriKind.Relative)),
                1 => await anonymous.Http.PostAsync(new Uri("/login", UriKind.Relative), Form(("Input.Email", $"nobody-{i}@example.com"), ("Input.Password", Password), ("__RequestVerificationToken", token))),
                _ => await signedIn[i % signedIn.Length].Http.GetAsync(new Uri("/", UriKind.Relative)),
            };
            return (response, watch.Elapsed);
        }).ToArray();
        var readyWatch = Stopwatch.StartNew();
        var ready = await anonymous.Http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var readyTook = readyWatch.Elapsed;
        var answers = await Task.WhenAll(requests);
        _cluster.Resume();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.True(readyTook < TimeSpan.FromSeconds(2 + 2), $"/readyz took {readyTook.TotalSeconds:0.0} s (Database:ReadinessTimeout is 2 s).");
        var slowest = string.Join(", ", answers.OrderByDescending(a => a.Item2).Take(5)
            .Select(a => $"{a.response.RequestMessage!.Method} {a.response.RequestMessage.RequestUri!.PathAndQuery} {a.Item2.TotalSeconds:0.0} s"));
        foreach (var (response, took) in answers)
        {
            await AssertOutagePageAsync($"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri!.PathAndQuery}", response);
            Assert.True(took < bound, $"A request took {took.TotalSeconds:0.0} s with the database paused (bound {bound.TotalSeconds} s); slowest: {slowest}.");
        }
        // Resumed, the server first works through the connection attempts queued while it was stopped: the site is back
        // by itself within seconds, without a restart.
        var back = Stopwatch.StartNew();
        while ((await signedIn[0].Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(30), "The site did not come back within 30 s of the database resuming.");
            await Task.Delay(250);
        }
        Assert.DoesNotContain("   at ", site.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterARestartBehindThePoolsBackTheFirstRequestOfEachKindSucceeds()
    {
        var site = await StartSiteAsync();
        var (email, _) = await SignUpAsync(site);
        using var signedIn = Browser(site);
        Assert.Equal("/", (await signedIn.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        // Fill the pool with idle connections that the restart will kill.
        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => signedIn.Http.GetAsync(new Uri("/account", UriKind.Relative))));

        _cluster.Restart();

        Assert.Equal(HttpStatusCode.OK, (await signedIn.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        using var anonymous = Browser(site);
        Assert.Equal("/", (await anonymous.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        await SignUpAsync(site);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);
        Assert.DoesNotContain("   at ", site.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSiteStartsWithoutItsDatabaseAndServesOnceTheDatabaseStarts()
    {
        _cluster.Stop();
        _site = await SiteProcess.StartLiveAsync(_folder, "unused", _key, Environment());
        using var anonymous = Browser(_site);

        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        var ready = await anonymous.Http.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.NotNull(ready.Headers.RetryAfter);
        await AssertOutagePageAsync("GET /login while starting", await anonymous.Http.GetAsync(new Uri("/login", UriKind.Relative)));
        Assert.Contains("The database does not answer yet", _site.Output, StringComparison.Ordinal);

        _cluster.StartServer();
        var watch = Stopwatch.StartNew();
        while ((await anonymous.Http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode != HttpStatusCode.OK)
        {
            Assert.False(_site.HasExited, $"The site stopped:\n{_site.Output}");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(40), $"Not ready 40 s after the database started:\n{_site.Output}");
            await Task.Delay(250);
        }
        var (email, _) = await SignUpAsync(_site);
        Assert.Equal("/", (await anonymous.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        Assert.DoesNotContain("   at ", _site.Output, StringComparison.Ordinal);
    }

    /// <summary>Production (Secure cookies, HTTPS, no developer pages), hosted in-process: a signed-in page during an
    /// outage was a blank 500 there, because the error page needed the database too.</summary>
    [Fact]
    public async Task InProductionASignedInPageIsTheStyled503Page()
    {
        await using var site = await SiteFactory.StartAsync(new()
        {
            ["Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Site"] = _connectionString,
            ["DataProtection:KeyEncryptionKey"] = _key,
        });
        using var signedIn = site.NewClient();
        Assert.Equal(FormClient.AfterSignUp, (await signedIn.SignUpAsync("prod@example.com", Password, "(650) 254-9901")).Headers.Location?.OriginalString);
        Assert.Equal("/", (await signedIn.LogInAsync("prod@example.com", Password)).Headers.Location?.OriginalString);

        _cluster.Stop();

        await AssertOutagePageAsync("signed-in GET /account", await signedIn.Http.GetAsync(new Uri("/account", UriKind.Relative)));
        await AssertOutagePageAsync("signed-in GET /about", await signedIn.Http.GetAsync(new Uri("/about", UriKind.Relative)));
        using var anonymous = site.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync(new Uri("/login", UriKind.Relative))).StatusCode);
        await AssertOutagePageAsync("anonymous POST /login", await anonymous.LogInAsync("prod@example.com", Password));
    }

    private async Task<SiteProcess> StartSiteAsync()
    {
        _site = await SiteProcess.StartAsync(_folder, "unused", _key, null, Environment());
        return _site;
    }

    private Dictionary<string, string> Environment() => new()
    {
        ["Database__Provider"] = "PostgreSQL",
        ["ConnectionStrings__Site"] = _connectionString,
        ["RINGCENTRAL_SERVER_URL"] = _ringCentral.Url,
        ["RINGCENTRAL_CLIENT_ID"] = _ringCentral.ClientId,
        ["RINGCENTRAL_CLIENT_SECRET"] = _ringCentral.ClientSecret,
        ["RINGCENTRAL_JWT"] = _ringCentral.Jwt,
        ["RINGCENTRAL_FROM_NUMBER"] = _ringCentral.FromNumber,
    };

    private FormClient Browser(SiteProcess site) =>
        new(new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = site.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        }, _ringCentral.LastCodeSentTo);

    private async Task<(string Email, string Phone)> SignUpAsync(SiteProcess site)
    {
        var suffix = Interlocked.Increment(ref _phone) % 10_000;
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var browser = Browser(site);
        var response = await browser.SignUpAsync(email, Password, $"(650) 254-{suffix:0000}");
        Assert.Equal(FormClient.AfterSignUp, response.Headers.Location?.OriginalString);
        return (email, $"+1650254{suffix:0000}");
    }

    private async Task<HashSet<string>> EmailsAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Email\" FROM \"Users\"";
        var emails = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            emails.Add(reader.GetString(0));
        }
        return emails;
    }

    private static async Task AssertOutagePageAsync(string what, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what} answered {(int)response.StatusCode}:\n{body}");
        Assert.True(response.Headers.RetryAfter is not null, $"{what} answered 503 without Retry-After.");
        Assert.Contains(OutageSentence, body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));

    private static List<string> Lines(string log, string containing) =>
        log.Split('\n').Where(l => l.Contains(containing, StringComparison.Ordinal)).ToList();
}
