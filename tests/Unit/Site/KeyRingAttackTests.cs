using System.Net;
using System.Security.Cryptography;
using IdentityTwoFactor.Data.KeyRing;
using IdentityTwoFactor.Identity.Sessions;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// An attacker with a copy of the database (a backup, a replica, an injection elsewhere) and nothing else: the key
/// ring rows must not let them sign in as anyone, nor read anything the site protected.
/// </summary>
public sealed class KeyRingAttackTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string Purpose = "KeyRingAttackTests";
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync();

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [Fact]
    public async Task ACookieMintedFromTheDatabaseAloneDoesNotOpenTheAccount()
    {
        var email = await SignUpAndLogInAsync();
        var copy = await DatabaseCopy.ReadSqliteAsync(_site.DatabasePath);
        var attacker = CookieForger.ProviderFrom(copy.KeyRing);

        string? forged = null;
        var minting = Record.Exception(() => forged = CookieForger.MintAuthCookie(attacker, copy.User(email), _site.Clock.GetUtcNow()));
        if (forged is not null)
        {
            using var response = await GetAccountWithCookieAsync(forged);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/login", PathOf(response.Headers.Location), StringComparison.Ordinal);
        }
        Assert.IsAssignableFrom<CryptographicException>(minting);
    }

    /// <summary>The control of the test above: the same recipe, given also the key file kept outside the database and
    /// write access to the database (a session row for a key the attacker chose), does open the account. So the recipe
    /// is right, and only the keys kept outside the database stand in the way.</summary>
    [Fact]
    public async Task TheSameRecipeGivenAlsoTheKeyFileAndAWritableDatabaseOpensTheAccount()
    {
        var email = await SignUpAndLogInAsync();
        var copy = await DatabaseCopy.ReadSqliteAsync(_site.DatabasePath);
        var attacker = AttackerWithTheKeyFile(copy);
        var key = "a-session-key-the-attacker-chose";
        var now = _site.Clock.GetUtcNow();
        var user = copy.User(email);
        await _site.WithDbAsync(async db =>
        {
            db.UserSessions.Add(new UserSession
            {
                Id = SessionIds.Of(key), UserId = user.Id, Ticket = TicketSerializer.Default.Serialize(CookieForger.Ticket(user, now)),
                CreatedUtc = now.UtcDateTime, LastSeenUtc = now.UtcDateTime, ExpiresUtc = now.UtcDateTime.AddHours(1),
            });
            return await db.SaveChangesAsync();
        });

        using var response = await GetAccountWithCookieAsync(CookieForger.MintSessionCookie(attacker, key));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<h1>Your account</h1>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Server-side sessions: even with the key file, what the database holds of a live session (its id) is no
    /// key, and a whole ticket in the cookie is not accepted any more.</summary>
    [Fact]
    public async Task EvenWithTheKeyFileTheDatabaseHoldsNoUsableSession()
    {
        var email = await SignUpAndLogInAsync();
        var copy = await DatabaseCopy.ReadSqliteAsync(_site.DatabasePath);
        var attacker = AttackerWithTheKeyFile(copy);
        var liveSessionId = await _site.WithDbAsync(db => db.UserSessions.AsNoTracking().Select(s => s.Id).FirstAsync());

        using var bySessionId = await GetAccountWithCookieAsync(CookieForger.MintSessionCookie(attacker, liveSessionId));
        using var byWholeTicket = await GetAccountWithCookieAsync(CookieForger.MintAuthCookie(attacker, copy.User(email), _site.Clock.GetUtcNow()));

        Assert.Equal(HttpStatusCode.Redirect, bySessionId.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, byWholeTicket.StatusCode);
    }

    private IDataProtectionProvider AttackerWithTheKeyFile(DatabaseCopy copy)
    {
        var keyFile = Convert.FromBase64String(File.ReadAllText(Path.Combine(_site.ContentRoot, "App_Data", "keyring.key")));
        return CookieForger.ProviderFrom(copy.KeyRing, b => b.ProtectKeysWithKeyEncryptionKey(new KeyEncryptionKey(keyFile)));
    }

    [Fact]
    public async Task AProviderBuiltFromTheDatabaseAloneCannotReadWhatTheSiteProtected()
    {
        var payload = _site.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Protect("a secret of the site");
        var copy = await DatabaseCopy.ReadSqliteAsync(_site.DatabasePath);

        var attacker = CookieForger.ProviderFrom(copy.KeyRing).CreateProtector(Purpose);

        Assert.NotEmpty(copy.KeyRing);
        Assert.ThrowsAny<CryptographicException>(() => attacker.Unprotect(payload));
    }

    [Fact]
    public async Task StoredKeysCarryNoPlaintextMasterKey()
    {
        await SignUpAndLogInAsync();
        var copy = await DatabaseCopy.ReadSqliteAsync(_site.DatabasePath);

        var keys = copy.KeyRing.Where(e => e.Name.LocalName == "key").ToList();

        Assert.NotEmpty(keys);
        Assert.All(keys, key =>
        {
            Assert.DoesNotContain(key.Descendants(), e => e.Name.LocalName == "masterKey");
            Assert.Single(key.Descendants(), e => e.Name.LocalName == "encryptedSecret");
        });
    }

    private async Task<string> SignUpAndLogInAsync()
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var browser = _site.NewClient();
        Assert.Equal(FormClient.AfterSignUp, (await browser.SignUpAsync(email, Password)).Headers.Location?.OriginalString);
        Assert.Equal("/", (await browser.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        return email;
    }

    private static string? PathOf(Uri? location) => location is { IsAbsoluteUri: true } ? location.PathAndQuery : location?.OriginalString;

    private async Task<HttpResponseMessage> GetAccountWithCookieAsync(string cookie)
    {
        using var http = _site.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = false,
            BaseAddress = new Uri("https://localhost"),
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/account", UriKind.Relative));
        request.Headers.Add("Cookie", $"itf.auth={cookie}");
        return await http.SendAsync(request);
    }
}
