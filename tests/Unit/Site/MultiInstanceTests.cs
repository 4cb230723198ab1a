using System.Net;
using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Tests.Unit.Support;
using Npgsql;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// Two real site processes on one PostgreSQL database, migrated once with --migrate-only, as behind a load balancer
/// without sticky sessions: state, codes, cookies and the exact counts must not care which instance answers.
/// </summary>
public sealed class MultiInstanceTests(MultiInstanceTests.TwoInstances sites) : IClassFixture<MultiInstanceTests.TwoInstances>
{
    private const string Password = "correct horse battery";
    private static int _phone;

    /// <summary>Started once for the class: a migration run, then two instances that do not migrate.</summary>
    public sealed class TwoInstances : IAsyncLifetime
    {
        private readonly string _folderA = Directory.CreateTempSubdirectory("itf-multi-a-").FullName;
        private readonly string _folderB = Directory.CreateTempSubdirectory("itf-multi-b-").FullName;

        public FakeRingCentralServer RingCentral { get; private set; } = null!;
        public SiteProcess A { get; private set; } = null!;
        public SiteProcess B { get; private set; } = null!;
        public string ConnectionString { get; private set; } = "";

        public async Task InitializeAsync()
        {
            RingCentral = await FakeRingCentralServer.StartNewAsync();
            ConnectionString = PostgresServer.NewDatabase();
            var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var environment = new Dictionary<string, string>
            {
                ["Database__Provider"] = "PostgreSQL",
                ["ConnectionStrings__Site"] = ConnectionString,
                ["Database__MigrateAtStart"] = "false",
                // The key ring in the shared database is encrypted: every instance needs the same key-encryption key.
                ["DataProtection__KeyEncryptionKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                ["RINGCENTRAL_SERVER_URL"] = RingCentral.Url,
                ["RINGCENTRAL_CLIENT_ID"] = RingCentral.ClientId,
                ["RINGCENTRAL_CLIENT_SECRET"] = RingCentral.ClientSecret,
                ["RINGCENTRAL_JWT"] = RingCentral.Jwt,
                ["RINGCENTRAL_FROM_NUMBER"] = RingCentral.FromNumber,
            };
            using (await SiteProcess.StartAsync(_folderA, "unused", key, null, environment, "--migrate-only"))
            {
            }
            A = await SiteProcess.StartAsync(_folderA, "unused", key, null, environment);
            B = await SiteProcess.StartAsync(_folderB, "unused", key, null, environment);
        }

        public async Task DisposeAsync()
        {
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
    public async Task BothInstancesAreLiveAndReady()
    {
        foreach (var site in new[] { sites.A, sites.B })
        {
            using var http = new HttpClient { BaseAddress = site.BaseAddress };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
            // Ready once its database start is done (it runs beside the host's start, so a page may answer before it):
            // polled as a load balancer's probe does, within a bound.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            HttpStatusCode ready;
            while ((ready = (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode) != HttpStatusCode.OK
                && watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
            Assert.True(ready == HttpStatusCode.OK, $"/readyz still {ready} after {watch.Elapsed.TotalSeconds:0.0} s:\n{site.Output}");
        }
    }

    [Fact]
    public async Task ALockOnOneInstanceIsSeenOnTheOtherAndItsCodeUnlocksThere()
    {
        var (email, phone) = await SignUpAsync();
        var (onA, onB) = Browser();
        for (var i = 0; i < 3; i++)
        {
            await onA.LogInAsync(email, "wrong password");
        }

        var rightPasswordOnB = await onB.LogInAsync(email, Password);
        Assert.Equal("/unlock", rightPasswordOnB.Headers.Location?.OriginalString);

        var code = sites.RingCentral.LastCodeSentTo(phone);
        Assert.NotNull(code);
        var unlocked = await onB.FollowAsync(await onB.UnlockAsync(email, code));
        Assert.Contains("Your account is unlocked. Please log in.", FormClient.Flashes(unlocked));
    }

    [Fact]
    public async Task ACookieAndAFormFromOneInstanceAreAcceptedByTheOther()
    {
        var (email, _) = await SignUpAsync();
        var (onA, onB) = Browser();

        // The form (and its antiforgery token) comes from A; the post goes to B.
        var token = await onA.GetTokenAsync("/login");
        using var form = new FormUrlEncodedContent([new("Input.Email", email), new("Input.Password", Password), new("__RequestVerificationToken", token)]);
        var login = await onB.Http.PostAsync(new Uri("/login", UriKind.Relative), form);
        Assert.Equal("/", login.Headers.Location?.OriginalString);

        // The auth cookie B issued is accepted by A.
        var home = await onA.Http.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("Welcome back, Ada.", home, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FortyParallelWrongPasswordsAcrossBothInstancesLockOnceAndTextOnce()
    {
        var (email, phone) = await SignUpAsync();
        var clients = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? Browser().A : Browser().B).ToArray();
        var tokens = await Task.WhenAll(clients.Select(c => c.GetTokenAsync("/login")));

        var responses = await Task.WhenAll(clients.Select((c, i) =>
        {
            var form = new FormUrlEncodedContent([new("Input.Email", email), new("Input.Password", "wrong password"), new("__RequestVerificationToken", tokens[i])]);
            return c.Http.PostAsync(new Uri("/login", UriKind.Relative), form);
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Redirect, r.StatusCode));
        Assert.Single(sites.RingCentral.Messages, m => m.To == phone && m.Text.Contains("to unlock your account", StringComparison.Ordinal));
        var (count, locked) = await ReadLockAsync(email);
        Assert.Equal(3, count);
        Assert.True(locked);
    }

    [Fact]
    public async Task FortyParallelUsesOfOneCodeAcrossBothInstancesSucceedOnce()
    {
        var (email, phone) = await SignUpAsync();
        var (locker, _) = Browser();
        for (var i = 0; i < 3; i++)
        {
            await locker.LogInAsync(email, "wrong password");
        }
        var code = sites.RingCentral.LastCodeSentTo(phone)!;
        var clients = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? Browser().A : Browser().B).ToArray();
        var tokens = await Task.WhenAll(clients.Select(c => c.GetTokenAsync("/unlock")));

        var pages = await Task.WhenAll(clients.Select(async (c, i) =>
        {
            using var form = new FormUrlEncodedContent([new("Input.Email", email), new("Input.Code", code), new("__RequestVerificationToken", tokens[i])]);
            return FormClient.Flashes(await c.FollowAsync(await c.Http.PostAsync(new Uri("/unlock", UriKind.Relative), form)));
        }));

        Assert.Single(pages, p => p.Contains("Your account is unlocked. Please log in."));
        Assert.False((await ReadLockAsync(email)).Locked);
    }

    /// <summary>One browser (one cookie jar) that can talk to either instance, as a load balancer would route it.</summary>
    private (FormClient A, FormClient B) Browser()
    {
        var cookies = new CookieContainer();
        FormClient Client(SiteProcess site) => new(new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
        {
            BaseAddress = site.BaseAddress,
        }, sites.RingCentral.LastCodeSentTo);
        return (Client(sites.A), Client(sites.B));
    }

    private async Task<(string Email, string Phone)> SignUpAsync()
    {
        var suffix = Interlocked.Increment(ref _phone) + 100;
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var (onA, _) = Browser();
        var response = await onA.SignUpAsync(email, Password, $"(650) 253-{suffix:0000}");
        Assert.Equal(FormClient.AfterSignUp, response.Headers.Location?.OriginalString);
        return (email, $"+1650253{suffix:0000}");
    }

    private async Task<(int Count, bool Locked)> ReadLockAsync(string email)
    {
        await using var connection = new NpgsqlConnection(sites.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"AccessFailedCount\", \"LockoutEndUtc\" IS NOT NULL FROM \"Users\" WHERE \"Email\" = @email";
        command.Parameters.AddWithValue("email", email);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt32(0), reader.GetBoolean(1));
    }
}
