using System.Net;
using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Data.Sqlite;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// SQLite on a disk that fills up (a 3 MB tmpfs mounted for the test, the site's database file on it, a real site
/// process): writes answer the 503 page, nothing is half-written (the file passes SQLite's integrity check, the refused
/// signup left no row), and once space is freed the same process writes again.
/// </summary>
public sealed class SqliteDiskFullTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string OutageSentence = "The site cannot reach its database right now. Nothing was changed. Please try again in a minute.";
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-diskfull-").FullName;
    private readonly string _key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private string _disk = "";
    private FakeRingCentralServer _ringCentral = null!;
    private SiteProcess? _site;

    public async Task InitializeAsync()
    {
        _disk = Path.Combine(_folder, "disk");
        Directory.CreateDirectory(_disk);
        // Root on the CI machine (the test script installs packages too); a tmpfs is the simplest disk that can fill up.
        Run("mount", $"-t tmpfs -o size=3m itf-diskfull {_disk}");
        _ringCentral = await FakeRingCentralServer.StartNewAsync();
    }

    public async Task DisposeAsync()
    {
        _site?.Dispose();
        await _ringCentral.DisposeAsync();
        try
        {
            Run("umount", _disk);
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
        }
    }

    [Fact]
    public async Task AFullDiskIsA503AndNothingIsHalfWritten()
    {
        var database = Path.Combine(_disk, "site.db");
        _site = await SiteProcess.StartAsync(_folder, database, _key, null, new Dictionary<string, string>
        {
            ["RINGCENTRAL_SERVER_URL"] = _ringCentral.Url,
            ["RINGCENTRAL_CLIENT_ID"] = _ringCentral.ClientId,
            ["RINGCENTRAL_CLIENT_SECRET"] = _ringCentral.ClientSecret,
            ["RINGCENTRAL_JWT"] = _ringCentral.Jwt,
            ["RINGCENTRAL_FROM_NUMBER"] = _ringCentral.FromNumber,
        });
        var before = $"before-{Guid.NewGuid():N}@example.com";
        using (var browser = Browser())
        {
            Assert.Equal(FormClient.AfterSignUp, (await browser.SignUpAsync(before, Password, "(650) 253-7101")).Headers.Location?.OriginalString);
        }

        var filler = Path.Combine(_disk, "filler");
        Fill(filler);
        var refusedEmail = $"refused-{Guid.NewGuid():N}@example.com";
        using (var browser = Browser())
        {
            var signup = await browser.PostFormAsync("/signup",
                ("Input.Email", refusedEmail), ("Input.Password", Password), ("Input.ConfirmPassword", Password),
                ("Input.Phone", "(650) 253-7102"), ("Input.FirstName", "Ada"), ("Input.LastName", "Lovelace"));
            var body = await signup.Content.ReadAsStringAsync();
            Assert.True(signup.StatusCode == HttpStatusCode.ServiceUnavailable, $"A signup on a full disk answered {(int)signup.StatusCode}:\n{body}");
            Assert.NotNull(signup.Headers.RetryAfter);
            Assert.Contains(OutageSentence, body, StringComparison.Ordinal);
        }

        File.Delete(filler);
        Assert.Equal("ok", Scalar(database, "PRAGMA integrity_check"));
        Assert.Equal(0L, Scalar(database, $"SELECT COUNT(*) FROM Users WHERE NormalizedEmail = '{refusedEmail.ToUpperInvariant()}'"));
        Assert.Equal(1L, Scalar(database, $"SELECT COUNT(*) FROM Users WHERE NormalizedEmail = '{before.ToUpperInvariant()}'"));

        var after = $"after-{Guid.NewGuid():N}@example.com";
        using (var browser = Browser())
        {
            Assert.Equal(FormClient.AfterSignUp, (await browser.SignUpAsync(after, Password, "(650) 253-7103")).Headers.Location?.OriginalString);
            Assert.Equal("/", (await browser.LogInAsync(before, Password)).Headers.Location?.OriginalString);
        }
        var log = _site.Output;
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
        Assert.Contains("Database unavailable (disk-full)", log, StringComparison.Ordinal);
    }

    /// <summary>Writes zeros until the file system says it is full.</summary>
    private static void Fill(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        var block = new byte[64 * 1024];
        try
        {
            while (true)
            {
                stream.Write(block);
            }
        }
        catch (IOException)
        {
            // ENOSPC: full. Fill the last partial block too.
        }
        try
        {
            while (true)
            {
                stream.Write(block, 0, 512);
            }
        }
        catch (IOException)
        {
        }
    }

    private static object? Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private FormClient Browser() =>
        new(new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = _site!.BaseAddress,
        }, _ringCentral.LastCodeSentTo);

    private static void Run(string file, string arguments)
    {
        try
        {
            Tools.Run(file, arguments);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{e.Message.Trim()} This test needs root to mount a small tmpfs.", e);
        }
    }
}
