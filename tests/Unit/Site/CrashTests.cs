using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// The real process, killed with SIGKILL in the middle of a burst of signups: every signup the site acknowledged
/// (302 to /login) is still in the database after a restart, the file is intact, and each of those accounts can log in.
/// </summary>
public sealed partial class CrashTests : IDisposable
{
    private const int Signups = 200;
    private const int Browsers = 8;
    private const int KillAfter = 80;

    private readonly string _folder = Directory.CreateTempSubdirectory("itf-crash-").FullName;
    private readonly string _key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<SiteProcess> _sites = [];
    private readonly ITestOutputHelper _log;

    public CrashTests(ITestOutputHelper log) => _log = log;

    private string DatabasePath => Path.Combine(_folder, "site.db");

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [Fact]
    public async Task AcknowledgedSignupsSurviveSigkillAndCanLogIn()
    {
        var clock = Stopwatch.StartNew();
        var first = await StartSiteAsync();
        _log.WriteLine($"site started (pid {first.ProcessId}) in {clock.Elapsed.TotalSeconds:0.0} s");

        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var failures = new ConcurrentQueue<string>();
        var next = -1;
        var killed = 0;
        using var stop = new CancellationTokenSource();

        // The watcher kills the process once enough signups were acknowledged, while the others are in flight.
        var watcher = Task.Run(async () =>
        {
            while (acknowledged.Count < KillAfter && !stop.IsCancellationRequested)
            {
                await Task.Delay(2);
            }
            if (!stop.IsCancellationRequested)
            {
                Volatile.Write(ref killed, 1);
                first.Kill();
            }
        });

        var browsers = Enumerable.Range(0, Browsers).Select(_ => Task.Run(async () =>
        {
            using var http = NewBrowser(first.BaseAddress);
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= Signups)
                {
                    return;
                }
                var email = $"crash-{i:D3}-{Guid.NewGuid():N}@example.com";
                var password = $"correct horse battery {i:D3}";
                try
                {
                    if (await SignUpAsync(http, email, password))
                    {
                        acknowledged[email] = password;
                    }
                    else
                    {
                        failures.Enqueue($"{email}: not acknowledged");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    failures.Enqueue($"{email}: {e.GetType().Name}");
                    if (Volatile.Read(ref killed) == 1)
                    {
                        return; // the site is gone
                    }
                    throw;
                }
            }
        })).ToArray();

        try
        {
            await Task.WhenAll(browsers).WaitAsync(TimeSpan.FromSeconds(40));
        }
        finally
        {
            await stop.CancelAsync();
            await watcher;
        }
        _log.WriteLine($"{acknowledged.Count} signups acknowledged, {failures.Count} cut off by the kill, at {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.True(Volatile.Read(ref killed) == 1, $"the site was never killed: {acknowledged.Count} acknowledged. {first.Output}");
        Assert.True(first.HasExited, "the site survived SIGKILL");
        Assert.InRange(acknowledged.Count, KillAfter, Signups - 1);
        Assert.True(failures.IsEmpty || failures.All(f => !f.EndsWith("not acknowledged", StringComparison.Ordinal)),
            "signups refused before the kill: " + string.Join(", ", failures.Where(f => f.EndsWith("not acknowledged", StringComparison.Ordinal))));

        var second = await StartSiteAsync();
        _log.WriteLine($"site restarted (pid {second.ProcessId}) at {clock.Elapsed.TotalSeconds:0.0} s");

        var (stored, integrity, journal) = ReadDatabase();
        Assert.Equal("ok", integrity);
        Assert.Equal("wal", journal, ignoreCase: true);
        var lost = acknowledged.Keys.Where(e => !stored.Contains(e)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged signups lost after SIGKILL: {string.Join(", ", lost.Take(10))}");

        var queue = new ConcurrentQueue<KeyValuePair<string, string>>(acknowledged);
        var refused = new ConcurrentQueue<string>();
        await Task.WhenAll(Enumerable.Range(0, Browsers).Select(_ => Task.Run(async () =>
        {
            while (queue.TryDequeue(out var account))
            {
                using var http = NewBrowser(second.BaseAddress); // a fresh browser per account: no session carries over
                var answer = await LogInAsync(http, account.Key, account.Value);
                if (answer != "/")
                {
                    refused.Enqueue($"{account.Key} -> {answer}");
                }
            }
        })));
        Assert.True(refused.IsEmpty, $"{refused.Count} acknowledged accounts cannot log in: {string.Join(", ", refused.Take(10))}\n{second.Output}");
        _log.WriteLine($"all {acknowledged.Count} accounts logged in; done at {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task<SiteProcess> StartSiteAsync()
    {
        // Durability is the subject here: no phone confirmation step, so signup answers /login and login answers /.
        var site = await SiteProcess.StartAsync(_folder, DatabasePath, _key,
            environment: new Dictionary<string, string> { ["TwoFactor__RequireConfirmedPhone"] = "false" });
        _sites.Add(site);
        return site;
    }

    private (HashSet<string> Emails, string Integrity, string Journal) ReadDatabase()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        var emails = new HashSet<string>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT Email FROM Users";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                emails.Add(reader.GetString(0));
            }
        }
        return (emails, Scalar(connection, "PRAGMA integrity_check"), Scalar(connection, "PRAGMA journal_mode"));
    }

    private static string Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    private static HttpClient NewBrowser(Uri baseAddress) =>
        new(new SocketsHttpHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(20),
        };

    private static async Task<string> TokenAsync(HttpClient http, string path)
    {
        var html = await http.GetStringAsync(new Uri(path, UriKind.Relative));
        var match = TokenPattern().Match(html);
        Assert.True(match.Success, $"no antiforgery token on {path}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    private static async Task<bool> SignUpAsync(HttpClient http, string email, string password)
    {
        var token = await TokenAsync(http, "/signup");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["Input.ConfirmPassword"] = password,
            ["Input.Phone"] = "(650) 253-0000",
            ["Input.FirstName"] = "Ada",
            ["Input.LastName"] = "Lovelace",
            ["__RequestVerificationToken"] = token,
        });
        using var response = await http.PostAsync(new Uri("/signup", UriKind.Relative), form);
        return response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.OriginalString == "/login";
    }

    private static async Task<string> LogInAsync(HttpClient http, string email, string password)
    {
        var token = await TokenAsync(http, "/login");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["__RequestVerificationToken"] = token,
        });
        using var response = await http.PostAsync(new Uri("/login", UriKind.Relative), form);
        return response.StatusCode == HttpStatusCode.Redirect
            ? response.Headers.Location?.OriginalString ?? "(no location)"
            : $"{(int)response.StatusCode}";
    }

    public void Dispose()
    {
        foreach (var site in _sites)
        {
            site.Dispose();
        }
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
