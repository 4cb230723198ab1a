using System.Net;
using System.Security.Cryptography;
using System.Xml.Linq;
using IdentityTwoFactor.FakeRingCentral;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The key ring's encryption across real process starts: restarts, an upgrade from unencrypted keys, and what
/// an operator sees when a setting is wrong.</summary>
public sealed class KeyRingProcessTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-keyring-process-").FullName;
    private readonly string _codeHashKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private FakeRingCentralServer _ringCentral = null!;

    private string DatabasePath => Path.Combine(_folder, "site.db");
    private string KeyFile => Path.Combine(_folder, "App_Data", "keyring.key");

    public async Task InitializeAsync() => _ringCentral = await FakeRingCentralServer.StartNewAsync();

    public async Task DisposeAsync()
    {
        await _ringCentral.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task TheGeneratedKeyFileIsReusedSoSessionsSurviveARestart()
    {
        string cookie;
        string keyBefore;
        using (var first = await StartAsync())
        {
            keyBefore = await File.ReadAllTextAsync(KeyFile);
            cookie = await SignUpAndLogInAsync(first);
            Assert.Equal(HttpStatusCode.OK, (await GetAccountAsync(first, cookie)).StatusCode);
        }

        using var second = await StartAsync();

        Assert.Equal(keyBefore, await File.ReadAllTextAsync(KeyFile));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
        }
        var account = await GetAccountAsync(second, cookie);
        Assert.Equal(HttpStatusCode.OK, account.StatusCode);
        Assert.Contains("<h1>Your account</h1>", await account.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysAnEarlierVersionStoredUnencryptedAreRemovedAtStart()
    {
        using (await StartAsync("--migrate-only"))
        {
        }
        // What an earlier version stored: a key ring without encryption. A backup taken then holds this key.
        var (oldProvider, oldKey) = ProviderWithAnUnencryptedKey();
        await InsertKeyRowAsync(oldKey);

        using var site = await StartAsync();
        var email = $"user-{Guid.NewGuid():N}@example.com";
        await SignUpAndLogInAsync(site, email);
        var copy = await DatabaseCopy.ReadSqliteAsync(DatabasePath);

        Assert.DoesNotContain(copy.KeyRing, k => (string?)k.Attribute("id") == (string?)oldKey.Attribute("id"));
        Assert.DoesNotContain(copy.KeyRing, k => k.Descendants().Any(e => e.Name.LocalName == "masterKey"));
        Assert.Contains("Removed 1 Data Protection key(s) stored unencrypted", site.Output, StringComparison.Ordinal);
        // The old backup's key no longer signs anyone in.
        var forged = CookieForger.MintAuthCookie(oldProvider, copy.User(email), DateTimeOffset.UtcNow);
        var account = await GetAccountAsync(site, forged);
        Assert.Equal(HttpStatusCode.Redirect, account.StatusCode);
        Assert.StartsWith("/login", account.Headers.Location?.IsAbsoluteUri == true ? account.Headers.Location.PathAndQuery : account.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadSettingStopsTheProcessWithItsSentenceAndNoStackTrace()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(new Dictionary<string, string>
        {
            ["DataProtection__KeyEncryptionKey"] = "c2hvcnQ=",
        }));

        Assert.Contains("exited with code 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("DataProtection:KeyEncryptionKey must be base64 of exactly 32 bytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2hvcnQ=", error.Message, StringComparison.Ordinal);
    }

    private Task<SiteProcess> StartAsync(params string[] arguments) => StartAsync(null, arguments);

    private Task<SiteProcess> StartAsync(Dictionary<string, string>? extra, params string[] arguments)
    {
        var environment = new Dictionary<string, string>
        {
            ["RINGCENTRAL_SERVER_URL"] = _ringCentral.Url,
            ["RINGCENTRAL_CLIENT_ID"] = _ringCentral.ClientId,
            ["RINGCENTRAL_CLIENT_SECRET"] = _ringCentral.ClientSecret,
            ["RINGCENTRAL_JWT"] = _ringCentral.Jwt,
            ["RINGCENTRAL_FROM_NUMBER"] = _ringCentral.FromNumber,
        };
        foreach (var (key, value) in extra ?? [])
        {
            environment[key] = value;
        }
        // The machine's 2 cores are shared with the whole suite: a start may take long, which is not this test's subject.
        return SiteProcess.StartAsync(_folder, DatabasePath, _codeHashKey, TimeSpan.FromSeconds(90), environment, arguments);
    }

    /// <summary>Signs up and logs in through the site's forms; returns the auth cookie's value.</summary>
    private async Task<string> SignUpAndLogInAsync(SiteProcess site, string? email = null)
    {
        email ??= $"user-{Guid.NewGuid():N}@example.com";
        var cookies = new CookieContainer();
        using var browser = new FormClient(new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
        {
            BaseAddress = site.BaseAddress,
        }, _ringCentral.LastCodeSentTo);
        Assert.Equal(FormClient.AfterSignUp, (await browser.SignUpAsync(email, Password)).Headers.Location?.OriginalString);
        Assert.Equal("/", (await browser.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        return cookies.GetCookies(site.BaseAddress)["itf.auth"]!.Value;
    }

    private static async Task<HttpResponseMessage> GetAccountAsync(SiteProcess site, string cookie)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = site.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/account", UriKind.Relative));
        request.Headers.Add("Cookie", $"itf.auth={cookie}");
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static (IDataProtectionProvider Provider, XElement Key) ProviderWithAnUnencryptedKey()
    {
        var repository = new InMemoryXmlRepository([]);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection().SetApplicationName("IdentityTwoFactor");
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = repository);
        var provider = services.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>();
        provider.CreateProtector("make the key").Protect([1]);
        var key = Assert.Single(repository.GetAllElements());
        Assert.Contains(key.Descendants(), e => e.Name.LocalName == "masterKey");
        return (provider, key);
    }

    private async Task InsertKeyRowAsync(XElement key)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO DataProtectionKeys (FriendlyName, Xml) VALUES ($name, $xml)";
        command.Parameters.AddWithValue("$name", $"key-{(string?)key.Attribute("id")}");
        command.Parameters.AddWithValue("$xml", key.ToString(SaveOptions.DisableFormatting));
        await command.ExecuteNonQueryAsync();
    }
}
