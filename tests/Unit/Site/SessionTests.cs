using System.Net;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Identity.Sessions;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>Sign-ins kept on the server: listed on the account page, ended one by one or all at once, pruned.</summary>
public sealed partial class SessionTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string Firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";
    private static int _phone;
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync();

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [GeneratedRegex("name=\"sessionId\" value=\"([0-9a-f]{64})\"")]
    private static partial Regex SessionIdField();

    [Fact]
    public async Task TheAccountPageListsEachSignedInBrowserShortly()
    {
        var email = await SignUpAsync();
        using var firefox = await SignInAsync(email, Firefox);
        using var chrome = await SignInAsync(email, Chrome);

        var page = await firefox.Http.GetStringAsync(new Uri("/account", UriKind.Relative));

        Assert.Contains("Firefox on Linux", page, StringComparison.Ordinal);
        Assert.Contains("Chrome on Windows", page, StringComparison.Ordinal);
        Assert.Equal(1, Regex.Count(page, Regex.Escape("(this browser)")));
        Assert.Equal(2, SessionIdField().Count(page));
        Assert.DoesNotContain("Gecko/20100101", page, StringComparison.Ordinal); // the raw header would not fit a phone
    }

    [Fact]
    public async Task SigningOutAnotherBrowserEndsItAtOnce()
    {
        var email = await SignUpAsync();
        using var laptop = await SignInAsync(email, Firefox);
        using var lost = await SignInAsync(email, Chrome);
        var lostId = await CurrentSessionIdAsync(lost);

        var response = await laptop.PostFormAsync("/account", [new("sessionId", lostId)], "/account?handler=SignOutSession");

        Assert.Equal("/account", response.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await lost.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await laptop.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task NobodyCanSignOutAnotherUsersSession()
    {
        using var victim = await SignInAsync(await SignUpAsync(), Chrome);
        using var stranger = await SignInAsync(await SignUpAsync(), Firefox);
        var victimSession = await CurrentSessionIdAsync(victim);

        var response = await stranger.PostFormAsync("/account", [new("sessionId", victimSession)], "/account?handler=SignOutSession");

        Assert.Contains("That browser was already signed out.", FormClient.Flashes(await stranger.FollowAsync(response)));
        Assert.Equal(HttpStatusCode.OK, (await victim.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task APasswordChangeEndsEveryOtherSessionAtOnce()
    {
        var email = await SignUpAsync();
        using var here = await SignInAsync(email, Firefox);
        using var there = await SignInAsync(email, Chrome);
        using var third = await SignInAsync(email, Chrome);

        var response = await here.PostFormAsync("/account/password",
            ("Input.CurrentPassword", Password), ("Input.NewPassword", "another long passphrase"), ("Input.ConfirmPassword", "another long passphrase"));

        Assert.Equal("/account", response.Headers.Location?.OriginalString);
        var rows = await _site.WithDbAsync(db => db.UserSessions.AsNoTracking()
            .CountAsync(s => db.Users.Any(u => u.Id == s.UserId && u.Email == email)));
        Assert.Equal(1, rows);
        Assert.Equal(HttpStatusCode.Redirect, (await there.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await here.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task APasswordResetEndsEverySession()
    {
        var email = await SignUpAsync();
        using var signedIn = await SignInAsync(email, Chrome);
        using var forgot = _site.NewClient();
        await forgot.PostFormAsync("/reset-password", ("Input.Email", email));
        var code = _site.RingCentral.Messages.Last(m => m.Text.Contains("reset your password", StringComparison.Ordinal)).Text[..6];

        var reset = await forgot.PostFormAsync("/reset-password",
            [new("Input.Email", email), new("Input.Code", code), new("Input.NewPassword", "a fresh long passphrase"), new("Input.ConfirmPassword", "a fresh long passphrase")],
            "/reset-password?handler=Reset");

        Assert.Equal(HttpStatusCode.Redirect, reset.StatusCode);
        Assert.Equal(0, await _site.WithDbAsync(db => db.UserSessions.CountAsync(s => db.Users.Any(u => u.Id == s.UserId && u.Email == email))));
        Assert.Equal(HttpStatusCode.Redirect, (await signedIn.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task SignOutEverywhereElseKeepsOnlyThisBrowser()
    {
        var email = await SignUpAsync();
        using var here = await SignInAsync(email, Firefox);
        using var there = await SignInAsync(email, Chrome);

        await here.PostFormAsync("/account", [], "/account?handler=SignOutElsewhere");

        Assert.Equal(HttpStatusCode.Redirect, (await there.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        var page = await here.Http.GetStringAsync(new Uri("/account", UriKind.Relative));
        Assert.Single(SessionIdField().Matches(page));
    }

    [Fact]
    public async Task AnExpiredSessionIsRefusedAndPruned()
    {
        var email = await SignUpAsync();
        using var browser = await SignInAsync(email, Firefox);

        _site.Clock.Advance(TimeSpan.FromHours(9)); // past the 8-hour sliding expiry

        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);
        // The hourly pruner may have run on the advanced clock already; either way the row is gone after a prune.
        await using var scope = _site.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IUserSessionStore>().PruneAsync();
        Assert.Equal(0, await _site.WithDbAsync(db => db.UserSessions.CountAsync(s => db.Users.Any(u => u.Id == s.UserId && u.Email == email))));
    }

    [Fact]
    public async Task TheDatabaseKeepsOnlyAHashOfTheSessionKey()
    {
        var email = await SignUpAsync();
        using var browser = await SignInAsync(email, Firefox);
        var id = await CurrentSessionIdAsync(browser);

        var row = await _site.WithDbAsync(db => db.UserSessions.AsNoTracking().SingleAsync(s => s.Id == id));

        Assert.Matches("^[0-9a-f]{64}$", row.Id);
        Assert.Equal(Firefox, row.UserAgent);
        // What a database reader sees is not a key: presented as one (inside a forged cookie), it finds no session.
        var store = (Microsoft.AspNetCore.Authentication.Cookies.ITicketStore)_site.Services.GetRequiredService<IUserSessionStore>();
        Assert.Null(await store.RetrieveAsync(row.Id));
    }

    /// <summary>The row is written with one INSERT made from the model (not SaveChanges): every column the session list,
    /// the expiry and the pruner read holds what the sign-in knew.</summary>
    [Fact]
    public async Task ASignInWritesEveryColumnOfItsSession()
    {
        var email = await SignUpAsync();
        var now = _site.Clock.GetUtcNow().UtcDateTime;
        using var browser = await SignInAsync(email, Firefox);
        var id = await CurrentSessionIdAsync(browser);

        var (row, userId) = await _site.WithDbAsync(async db => (
            await db.UserSessions.AsNoTracking().SingleAsync(s => s.Id == id),
            await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync()));

        Assert.Equal(userId, row.UserId);
        Assert.Equal(now, row.CreatedUtc, TimeSpan.FromSeconds(1));
        Assert.Equal(row.CreatedUtc, row.LastSeenUtc);
        Assert.NotNull(row.ExpiresUtc);
        Assert.Equal(row.CreatedUtc.AddHours(8), row.ExpiresUtc.Value, TimeSpan.FromSeconds(1)); // the 8-hour sliding expiry
        Assert.Equal(Firefox, row.UserAgent);
        Assert.NotEmpty(row.Ticket);
        // The one session this user has, and it is the one the browser uses.
        Assert.Equal(1, await _site.WithDbAsync(db => db.UserSessions.CountAsync(s => s.UserId == userId)));
    }

    private static async Task<string> CurrentSessionIdAsync(FormClient client)
    {
        var page = await client.Http.GetStringAsync(new Uri("/account", UriKind.Relative));
        var item = Regex.Match(page, "<li>(?:(?!</li>).)*\\(this browser\\)(?:(?!</li>).)*</li>", RegexOptions.Singleline).Value;
        return SessionIdField().Match(item).Groups[1].Value;
    }

    private async Task<string> SignUpAsync()
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var client = _site.NewClient();
        var suffix = Interlocked.Increment(ref _phone);
        Assert.Equal(FormClient.AfterSignUp, (await client.SignUpAsync(email, Password, $"(650) 255-{suffix:0000}")).Headers.Location?.OriginalString);
        return email;
    }

    private async Task<FormClient> SignInAsync(string email, string userAgent)
    {
        var client = _site.NewClient();
        client.Http.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        Assert.Equal("/", (await client.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        return client;
    }
}
