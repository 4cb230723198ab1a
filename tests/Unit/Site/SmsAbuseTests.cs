using System.Globalization;
using System.Net;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// Issue 12 as an attacker plays it against the whole site (real pages, database and SMS client): floods that would
/// burn the site's texts, pumping one number, signups eating the texts locked users need, foreign numbers.
/// </summary>
public sealed class SmsAbuseTests
{
    private const string Password = "correct horse battery";
    private const string Phone = "+16502530000";

    [Fact]
    public async Task AThousandConfirmPhoneResendsWithRandomEmailsSpendNoSharedBudgetAndALockStillTexts()
    {
        await using var site = await SiteFactory.StartAsync(new()
        {
            ["TwoFactor:ResendCooldown"] = "00:01:00",
            ["TwoFactor:MaxTextsPerHour"] = "5",
            ["TwoFactor:MaxTextsPerDay"] = "50",
        });
        var email = await SignUpAsync(site);
        var sharedBefore = await SharedBudgetAsync(site);

        // The attack: one client, one antiforgery token, a thousand random emails, a few in flight at once.
        using (var attacker = site.NewClient())
        {
            var token = await attacker.GetTokenAsync("/confirm-phone");
            var next = 0;
            var workers = Enumerable.Range(0, 4).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= 1000)
                {
                    using var form = new FormUrlEncodedContent([
                        new("Input.Email", $"victim-{Guid.NewGuid():N}@example.com"),
                        new("__RequestVerificationToken", token)]);
                    using var response = await attacker.Http.PostAsync(new Uri("/confirm-phone?handler=Resend", UriKind.Relative), form);
                    Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                }
            });
            await Task.WhenAll(workers);
        }

        Assert.Equal(sharedBefore, await SharedBudgetAsync(site));
        site.Clock.Advance(TimeSpan.FromMinutes(2));
        using var owner = site.NewClient();
        for (var i = 0; i < 3; i++)
        {
            await owner.LogInAsync(email, "wrong password");
        }
        Assert.Single(site.RingCentral.Messages, m => m.To == Phone && m.Text.Contains("to unlock your account", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwentySignupsToOneNumberInAMinuteTextItAtMostThreeTimes()
    {
        await using var site = await SiteFactory.StartAsync(new()
        {
            ["TwoFactor:MaxTextsPerNumberPerHour"] = "3",
            ["TwoFactor:MaxTextsPerNumberPerDay"] = "10",
        });
        var pages = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            using var client = site.NewClient();
            var signup = await client.PostFormAsync("/signup",
                ("Input.Email", $"pump-{Guid.NewGuid():N}@example.com"), ("Input.Password", Password), ("Input.ConfirmPassword", Password),
                ("Input.Phone", "(650) 253-0000"), ("Input.FirstName", "Ada"), ("Input.LastName", "Lovelace"));
            pages.Add(await client.FollowAsync(signup));
            site.Clock.Advance(TimeSpan.FromSeconds(3));
        }

        Assert.Equal(3, site.RingCentral.Messages.Count(m => m.To == Phone));
        Assert.Contains(FormClient.Flashes(pages[^1]), f => f.Contains("Too many codes were texted to this phone number in the last hour", StringComparison.Ordinal));

        // Another number is not affected, and the cap opens again after the hour.
        using (var other = site.NewClient())
        {
            await other.SignUpAsync($"other-{Guid.NewGuid():N}@example.com", Password, "(650) 253-0001");
        }
        Assert.Single(site.RingCentral.Messages, m => m.To == "+16502530001");
        site.Clock.Advance(TimeSpan.FromHours(1));
        using (var later = site.NewClient())
        {
            await later.SignUpAsync($"later-{Guid.NewGuid():N}@example.com", Password);
        }
        Assert.Equal(4, site.RingCentral.Messages.Count(m => m.To == Phone));
    }

    [Fact]
    public async Task TheDailyCapPerNumberHoldsAcrossAccountsAndPurposes()
    {
        await using var site = await SiteFactory.StartAsync(new()
        {
            ["TwoFactor:MaxTextsPerNumberPerHour"] = "0",
            ["TwoFactor:MaxTextsPerNumberPerDay"] = "4",
        });
        // Two accounts on one number: two confirmations, then resets for each until the number's day is spent.
        var first = await SignUpAsync(site);
        var second = await SignUpAsync(site);
        using var client = site.NewClient();
        foreach (var email in new[] { first, second, first })
        {
            await client.PostFormAsync("/reset-password", ("Input.Email", email));
        }

        Assert.Equal(4, site.RingCentral.Messages.Count(m => m.To == Phone));
        site.Clock.Advance(TimeSpan.FromDays(1));
        await client.PostFormAsync("/reset-password", ("Input.Email", second));
        Assert.Equal(5, site.RingCentral.Messages.Count(m => m.To == Phone));
    }

    [Fact]
    public async Task SignupsCannotSpendTheTextsReservedForLockedUsers()
    {
        // Ten texts a day; signups and phone confirmations may use half of them.
        await using var site = await SiteFactory.StartAsync(new()
        {
            ["TwoFactor:MaxTextsPerDay"] = "10",
            ["TwoFactor:SignupShareOfDailyTexts"] = "50",
        });
        var accounts = new List<string>();
        string lastSignup = "";
        for (var i = 0; i < 8; i++)
        {
            var email = $"user-{Guid.NewGuid():N}@example.com";
            using var client = site.NewClient();
            var signup = await client.PostFormAsync("/signup",
                ("Input.Email", email), ("Input.Password", Password), ("Input.ConfirmPassword", Password),
                ("Input.Phone", string.Create(CultureInfo.InvariantCulture, $"(650) 253-00{i:D2}")), ("Input.FirstName", "Ada"), ("Input.LastName", "Lovelace"));
            lastSignup = await client.FollowAsync(signup);
            accounts.Add(email);
        }

        Assert.Equal(5, site.RingCentral.Messages.Count);
        Assert.Contains(FormClient.Flashes(lastSignup), f => f.Contains("new phone numbers", StringComparison.Ordinal));

        // The owner of the first account (confirmed now) locks it: the unlock text still goes.
        using var owner = site.NewClient();
        var code = site.RingCentral.LastCodeSentTo(Phone)!;
        await owner.PostFormAsync("/confirm-phone", ("Input.Email", accounts[0]), ("Input.Code", code));
        for (var i = 0; i < 3; i++)
        {
            await owner.LogInAsync(accounts[0], "wrong password");
        }
        Assert.Single(site.RingCentral.Messages, m => m.Text.Contains("to unlock your account", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NumbersFromOtherCountriesAreRefusedAtSignupWithASentence()
    {
        await using var site = await SiteFactory.StartAsync();
        using var client = site.NewClient();

        var response = await client.PostFormAsync("/signup",
            ("Input.Email", $"abroad-{Guid.NewGuid():N}@example.com"), ("Input.Password", Password), ("Input.ConfirmPassword", Password),
            ("Input.Phone", "+44 7400 123456"), ("Input.FirstName", "Ada"), ("Input.LastName", "Lovelace"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("We can text only mobile numbers from US.", WebUtility.HtmlDecode(page), StringComparison.Ordinal);
        Assert.Empty(site.RingCentral.Messages);
        Assert.Equal(0, await site.WithDbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task NumbersFromOtherCountriesAreRefusedAtPhoneChange()
    {
        await using var site = await SiteFactory.StartAsync(new() { ["Phone:AllowedRegions"] = "US,CA" });
        var email = await SignUpAsync(site);
        using var client = site.NewClient();
        await client.LogInAsync(email, Password);
        var before = site.RingCentral.Messages.Count;

        var response = await client.PostFormAsync("/account/phone", ("Input.Phone", "+33 6 12 34 56 78"), ("Input.CurrentPassword", Password));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("We can text only mobile numbers from US and CA.", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal(before, site.RingCentral.Messages.Count);
        // A Canadian number is allowed by the list.
        var canada = await client.PostFormAsync("/account/phone", ("Input.Phone", "+1 604 555 0123"), ("Input.CurrentPassword", Password));
        Assert.Equal(HttpStatusCode.Redirect, canada.StatusCode);
        // The code to the new number, and the approval code to the account's current one.
        Assert.Equal(before + 2, site.RingCentral.Messages.Count);
    }

    [Fact]
    public async Task AStarAllowsEveryCountry()
    {
        await using var site = await SiteFactory.StartAsync(new() { ["Phone:AllowedRegions"] = "*" });
        using var client = site.NewClient();

        var signup = await client.SignUpAsync($"abroad-{Guid.NewGuid():N}@example.com", Password, "+44 7400 123456");

        Assert.Equal(FormClient.AfterSignUp, signup.Headers.Location?.OriginalString);
        Assert.Single(site.RingCentral.Messages, m => m.To == "+447400123456");
    }

    /// <summary>Every budget row that is not one account's or one email's own: the site's day and the numbers.</summary>
    private static Task<string> SharedBudgetAsync(SiteFactory site) => site.WithDbAsync(async db =>
        string.Join(";", (await db.SendBudgets.AsNoTracking().ToListAsync())
            .Where(b => !b.Key.StartsWith("email:", StringComparison.Ordinal) && !b.Key.StartsWith("user:", StringComparison.Ordinal))
            .OrderBy(b => b.Key, StringComparer.Ordinal)
            .Select(b => $"{b.Key}={b.CountInWindow}")));

    private static async Task<string> SignUpAsync(SiteFactory site)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using var client = site.NewClient();
        Assert.Equal(HttpStatusCode.Redirect, (await client.SignUpAsync(email, Password)).StatusCode);
        return email;
    }
}
