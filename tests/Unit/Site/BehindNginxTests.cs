using System.Net;
using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Tests.Unit.Support;
using Npgsql;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// Production as people deploy it: a private nginx terminating TLS (deploy/nginx.conf, a throwaway certificate) in
/// front of two site processes in Production on plain HTTP, on one PostgreSQL database, texting through the fake
/// RingCentral server. Test clients connect from their own loopback addresses (127.0.0.2, 127.0.0.3, ...), so nginx
/// and the site see separate clients. The site is the published one when ITF_PUBLISHED_SITE names the publish folder
/// (scripts/test.sh publishes it first), otherwise the build output.
/// </summary>
public sealed class BehindNginxTests(BehindNginxTests.Deployment deployment) : IClassFixture<BehindNginxTests.Deployment>
{
    private const string Password = "correct horse battery";
    private const int PermitLimit = 6;
    private static int _phone;
    private static int _address = 10;

    /// <summary>Started once for the class: a migration run, two instances, nginx in front.</summary>
    public sealed class Deployment : IAsyncLifetime
    {
        private readonly string _folderA = Directory.CreateTempSubdirectory("itf-nginx-a-").FullName;
        private readonly string _folderB = Directory.CreateTempSubdirectory("itf-nginx-b-").FullName;

        public FakeRingCentralServer RingCentral { get; private set; } = null!;
        public SiteProcess A { get; private set; } = null!;
        public SiteProcess B { get; private set; } = null!;
        public NginxProxy Proxy { get; private set; } = null!;
        public string ConnectionString { get; private set; } = "";

        public async Task InitializeAsync()
        {
            var published = Environment.GetEnvironmentVariable("ITF_PUBLISHED_SITE");
            var dll = string.IsNullOrEmpty(published) ? SiteProcess.SiteDll : Path.Combine(published, "IdentityTwoFactor.Site.dll");
            RingCentral = await FakeRingCentralServer.StartNewAsync();
            ConnectionString = PostgresServer.NewDatabase();
            var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Database__Provider"] = "PostgreSQL",
                ["ConnectionStrings__Site"] = ConnectionString,
                ["Database__MigrateAtStart"] = "false",
                ["RINGCENTRAL_SERVER_URL"] = RingCentral.Url,
                ["RINGCENTRAL_CLIENT_ID"] = RingCentral.ClientId,
                ["RINGCENTRAL_CLIENT_SECRET"] = RingCentral.ClientSecret,
                ["RINGCENTRAL_JWT"] = RingCentral.Jwt,
                ["RINGCENTRAL_FROM_NUMBER"] = RingCentral.FromNumber,
                ["RateLimits__Enabled"] = "true",
                ["RateLimits__PermitLimit"] = PermitLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                // The story texts four codes to one number within a minute; the cooldown is not what this test is about.
                ["TwoFactor__ResendCooldown"] = "00:00:00",
                ["TwoFactor__MaxTextsPerNumberPerHour"] = "0",
                ["TwoFactor__MaxTextsPerNumberPerDay"] = "0",
                // Production on PostgreSQL: every instance encrypts the key ring with one shared key.
                ["DataProtection__KeyEncryptionKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                ["AllowedHosts"] = "127.0.0.1",
            };
            using (await SiteProcess.StartFromAsync(dll, _folderA, "unused", key, null, environment, "--migrate-only"))
            {
            }
            var starting = new[] { SiteProcess.StartFromAsync(dll, _folderA, "unused", key, null, environment), SiteProcess.StartFromAsync(dll, _folderB, "unused", key, null, environment) };
            var started = await Task.WhenAll(starting);
            (A, B) = (started[0], started[1]);
            Proxy = await NginxProxy.StartAsync([A.BaseAddress, B.BaseAddress]);
        }

        public async Task DisposeAsync()
        {
            Proxy?.Dispose();
            A?.Dispose();
            B?.Dispose();
            await RingCentral.DisposeAsync();
            foreach (var folder in new[] { _folderA, _folderB })
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    [Fact]
    public async Task SignUpLockUnlockAndResetThroughTheProxy()
    {
        var address = NextAddress();
        using var client = Client(address);
        var (email, phone) = await SignUpAsync(client);

        for (var i = 1; i <= 3; i++)
        {
            var wrong = AssertNo5xx(await client.LogInAsync(email, "wrong password"));
            Assert.Equal(i < 3 ? "/login" : "/unlock", wrong.Headers.Location?.OriginalString);
        }
        var unlockCode = deployment.RingCentral.LastCodeSentTo(phone)!;
        var unlocked = await client.FollowAsync(AssertNo5xx(await client.UnlockAsync(email, unlockCode)));
        Assert.Contains("Your account is unlocked. Please log in.", FormClient.Flashes(unlocked));

        AssertNo5xx(await client.PostFormAsync("/reset-password", ("Input.Email", email)));
        var resetCode = deployment.RingCentral.LastCodeSentTo(phone)!;
        Assert.NotEqual(unlockCode, resetCode);
        var reset = await client.FollowAsync(AssertNo5xx(await client.PostFormAsync("/reset-password?step=code",
            [new("step", "code"), new("Input.Email", email), new("Input.Code", resetCode), new("Input.NewPassword", "a brand new passphrase"), new("Input.ConfirmPassword", "a brand new passphrase")],
            "/reset-password?handler=Reset")));
        Assert.Contains("Password changed successfully. Please log in with your new password.", FormClient.Flashes(reset));

        var signedIn = AssertNo5xx(await client.LogInAsync(email, "a brand new passphrase"));
        Assert.Equal("/", signedIn.Headers.Location?.OriginalString);
        Assert.Contains("Welcome back, Ada.", await client.Http.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);

        // The security activity shows the client's own address, not nginx's 127.0.0.1.
        Assert.Equal([address.ToString()], await EventAddressesAsync(email));
    }

    [Fact]
    public async Task CookiesAreSecureAndRedirectsRelativeThroughTheProxy()
    {
        using var client = Client(NextAddress());

        var form = await client.Http.GetAsync(new Uri("/login", UriKind.Relative));
        var toLogin = await client.Http.GetAsync(new Uri("/account", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var cookies = form.Headers.GetValues("Set-Cookie").ToList();
        Assert.NotEmpty(cookies);
        Assert.All(cookies, c => Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase));
        Assert.Contains("max-age=31536000", form.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
        Assert.Equal("/login?ReturnUrl=%2Faccount", toLogin.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task AClientOverTheLimitGets429WhileAnotherDoesNot()
    {
        using var noisy = Client(NextAddress());
        using var quiet = Client(NextAddress());
        var email = $"nobody-{Guid.NewGuid():N}@example.com";

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < (PermitLimit * 2) + 3; i++)
        {
            statuses.Add(AssertNo5xx(await noisy.LogInAsync(email, "wrong password")).StatusCode);
        }
        var other = AssertNo5xx(await quiet.LogInAsync(email, "wrong password"));

        // Per-IP counters are per instance: with two instances behind round robin the client gets up to twice the limit.
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^2]);
        Assert.Equal(HttpStatusCode.Redirect, other.StatusCode);
    }

    [Fact]
    public async Task ARotatingSpoofedForwardedForStillGets429()
    {
        using var spoofer = Client(NextAddress());
        var email = $"nobody-{Guid.NewGuid():N}@example.com";

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < (PermitLimit * 2) + 3; i++)
        {
            var token = await spoofer.GetTokenAsync("/login");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/login")
            {
                Content = new FormUrlEncodedContent([new("Input.Email", email), new("Input.Password", "wrong password"), new("__RequestVerificationToken", token)]),
            };
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i + 1}");
            statuses.Add(AssertNo5xx(await spoofer.Http.SendAsync(request)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^2]);
    }

    [Fact]
    public async Task AnInstanceKilledMidStoryAndTheNextFormPostsSucceedOnTheOther()
    {
        using var client = Client(NextAddress());
        var (email, phone) = await SignUpAsync(client);
        for (var i = 0; i < 3; i++)
        {
            AssertNo5xx(await client.LogInAsync(email, "wrong password"));
        }
        var code = deployment.RingCentral.LastCodeSentTo(phone)!;

        // Whichever instance served the story so far, one of them goes now; round robin would send the next request
        // to it about every other time.
        deployment.A.Kill();
        Assert.True(deployment.A.HasExited);

        var unlocked = await client.FollowAsync(AssertNo5xx(await client.UnlockAsync(email, code)));
        Assert.Contains("Your account is unlocked. Please log in.", FormClient.Flashes(unlocked));
        for (var i = 0; i < 2; i++)
        {
            // Each post: GET the form (token), POST it: with the unlock, six requests, several of them toward the dead instance first.
            var login = AssertNo5xx(await client.LogInAsync(email, Password));
            Assert.Equal("/", login.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task PlainHttpStraightToAnInstanceIsNeverA500()
    {
        var instance = deployment.B.HasExited ? deployment.A : deployment.B;
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = instance.BaseAddress };

        var form = await http.GetAsync(new Uri("/login", UriKind.Relative));
        using var body = new FormUrlEncodedContent([new("Input.Email", "a@example.com"), new("Input.Password", Password)]);
        var post = await http.PostAsync(new Uri("/login", UriKind.Relative), body);

        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Contains("This site must be reached over HTTPS", await post.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static IPAddress NextAddress() => IPAddress.Parse($"127.0.0.{Interlocked.Increment(ref _address)}");

    private FormClient Client(IPAddress address) => new(deployment.Proxy.NewClient(address), deployment.RingCentral.LastCodeSentTo);

    private static HttpResponseMessage AssertNo5xx(HttpResponseMessage response)
    {
        Assert.True((int)response.StatusCode < 500, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}");
        return response;
    }

    private static async Task<(string Email, string Phone)> SignUpAsync(FormClient client)
    {
        var suffix = Interlocked.Increment(ref _phone) + 300;
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var response = AssertNo5xx(await client.SignUpAsync(email, Password, $"(650) 253-{suffix:0000}"));
        Assert.Equal(FormClient.AfterSignUp, response.Headers.Location?.OriginalString);
        return (email, $"+1650253{suffix:0000}");
    }

    private async Task<List<string>> EventAddressesAsync(string email)
    {
        await using var connection = new NpgsqlConnection(deployment.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT DISTINCT e."IpAddress" FROM "SecurityEvents" e JOIN "Users" u ON u."Id" = e."UserId" WHERE u."Email" = @email
            """;
        command.Parameters.AddWithValue("email", email);
        var addresses = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            addresses.Add(reader.IsDBNull(0) ? "(none)" : reader.GetString(0));
        }
        return addresses;
    }
}
