using System.Net;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>Getting recovery codes through the pages: shown once after the phone is confirmed and from /account (with
/// the password), downloadable as a text file made by the server, never cached.</summary>
public sealed partial class RecoveryCodePageTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync();

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [GeneratedRegex("name=\"sealed\" value=\"([^\"]+)\"")]
    private static partial Regex SealedField();

    [Fact]
    public async Task ConfirmingThePhoneShowsTenCodesOnceAndTheyAreNotCached()
    {
        using var client = _site.NewClient();
        var email = NewEmail();

        var confirmed = await client.SignUpAsync(email, Password);

        Assert.Equal("/recovery-codes", confirmed.Headers.Location?.OriginalString);
        Assert.Equal(10, client.RecoveryCodes.Count);
        var again = await client.Http.GetAsync(new Uri("/recovery-codes", UriKind.Relative));
        var html = await again.Content.ReadAsStringAsync();
        Assert.Empty(FormClient.RecoveryCodesIn(html));
        Assert.DoesNotContain(client.RecoveryCodes, c => html.Contains(c, StringComparison.Ordinal));
        Assert.Contains("There are no new recovery codes to show.", html, StringComparison.Ordinal);
        Assert.True(again.Headers.CacheControl?.NoStore);
        Assert.Equal(10, await CountAsync(email));
    }

    [Fact]
    public async Task DownloadIsATextAttachmentOfTheCodesJustShown()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password);
        await client.LogInAsync(email, Password);
        var made = await client.PostFormAsync("/account/recovery-codes", ("Input.CurrentPassword", Password));
        Assert.Equal("/recovery-codes", made.Headers.Location?.OriginalString);
        var page = await client.Http.GetAsync(new Uri("/recovery-codes", UriKind.Relative));
        Assert.True(page.Headers.CacheControl?.NoStore);
        var html = await page.Content.ReadAsStringAsync();
        var codes = FormClient.RecoveryCodesIn(html);
        var sealedCodes = WebUtility.HtmlDecode(SealedField().Match(html).Groups[1].Value);

        var download = await client.PostFormAsync("/recovery-codes", [new("sealed", sealedCodes)], "/recovery-codes?handler=Download");

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/plain", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("recovery-codes.txt", download.Content.Headers.ContentDisposition?.FileName);
        Assert.True(download.Headers.CacheControl?.NoStore);
        var text = await download.Content.ReadAsStringAsync();
        Assert.Equal(10, codes.Count);
        Assert.All(codes, c => Assert.Contains(c, text, StringComparison.Ordinal));
        Assert.Contains(email, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADownloadTheServerDidNotSealIsRefused()
    {
        using var client = _site.NewClient();

        // The token from another form: this page has no form when it has no codes to show.
        var forged = await client.PostFormAsync("/login", [new("sealed", "AAAA-BBBBB")], "/recovery-codes?handler=Download");

        Assert.Equal(HttpStatusCode.Redirect, forged.StatusCode);
        Assert.Contains("That download is no longer available.", string.Join(" ", FormClient.Flashes(await client.FollowAsync(forged))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANewSetNeedsTheRightPasswordAndAWrongOneCountsTowardTheLock()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password);
        var first = client.RecoveryCodes;
        await client.LogInAsync(email, Password);

        var wrong = await client.PostFormAsync("/account/recovery-codes", ("Input.CurrentPassword", "not the password"));
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("The current password is not right.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await _site.WithDbAsync(db => db.Users.Where(u => u.Email == email).Select(u => u.AccessFailedCount).SingleAsync()));

        var made = await client.PostFormAsync("/account/recovery-codes", ("Input.CurrentPassword", Password));
        var second = FormClient.RecoveryCodesIn(await client.FollowAsync(made));

        Assert.Equal(10, second.Count);
        Assert.Empty(second.Intersect(first));
        Assert.Equal(10, await CountAsync(email));
        await using var scope = _site.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<TwoFactorUserManager>();
        var user = (await users.FindByEmailAsync(email))!;
        Assert.Equal(RecoveryCodeResult.Wrong, await users.UseRecoveryCodeAsync(user, first[0]));
        Assert.Equal(RecoveryCodeResult.Used, await users.UseRecoveryCodeAsync(user, second[0]));
    }

    [Fact]
    public async Task TheAccountPageSaysHowManyAreLeftAndWarnsBelowThree()
    {
        using var client = _site.NewClient();
        var email = NewEmail();
        await client.SignUpAsync(email, Password);
        await client.LogInAsync(email, Password);
        var account = await client.Http.GetStringAsync(new Uri("/account", UriKind.Relative));
        Assert.Contains("10 left", account, StringComparison.Ordinal);
        Assert.DoesNotContain("running low", account, StringComparison.Ordinal);

        await using (var scope = _site.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<TwoFactorUserManager>();
            var user = (await users.FindByEmailAsync(email))!;
            foreach (var code in client.RecoveryCodes.Take(8))
            {
                Assert.Equal(RecoveryCodeResult.Used, await users.UseRecoveryCodeAsync(user, code));
            }
        }

        account = await client.Http.GetStringAsync(new Uri("/account", UriKind.Relative));
        Assert.Contains("2 left", account, StringComparison.Ordinal);
        Assert.Contains("(running low: get a new set)", WebUtility.HtmlDecode(account), StringComparison.Ordinal);
    }

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    private Task<int> CountAsync(string email) =>
        _site.WithDbAsync(db => db.RecoveryCodes.CountAsync(c => db.Users.Any(u => u.Id == c.UserId && u.Email == email)));
}
