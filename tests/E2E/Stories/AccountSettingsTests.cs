using System.Globalization;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Stories 16 to 19: the account page, changing the phone number and the password, and the security activity.</summary>
public sealed class AccountSettingsTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    /// <summary>Where a signed-out browser is sent for /account.</summary>
    private static readonly Regex LoginForAccount = new(@"^https?://[^/]+/login\?ReturnUrl=%2Faccount$");

    [Fact]
    public Task PhoneChangesOnlyOnceTheNewNumberIsConfirmed() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();
        var newNumber = TestUser.CreateUnique(); // only for its unused phone number
        var oldTexts = Site.MessagesTo(user.E164).Count;

        await stories.Account.GotoAsync();
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{user.MaskedPhone} (confirmed)");
        await stories.Account.ChangePhoneLink.ClickAsync();
        await stories.AccountPhone.ExpectPathAsync(AccountPhonePage.Path);
        await Expect(stories.AccountPhone.Code).ToHaveCountAsync(0);

        // The code goes to the NEW number, and the second form appears.
        await stories.AccountPhone.SendCodeAsync(newNumber.Phone);
        await stories.AccountPhone.ExpectPathAsync(AccountPhonePage.Path);
        await Expect(stories.AccountPhone.FlashInfo).ToHaveTextAsync(AccountPhonePage.CodeSent(newNumber.MaskedPhone));
        await Expect(stories.AccountPhone.Main).ToContainTextAsync($"Sent to {newNumber.MaskedPhone}.");
        Assert.Single(Site.MessagesTo(newNumber.E164));
        Assert.Equal(oldTexts, Site.MessagesTo(user.E164).Count);
        var firstCode = stories.CodeSentTo(newNumber);

        // Not confirmed yet: the account keeps the old number.
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{user.MaskedPhone} (confirmed)");

        // A wrong code is refused and the number stays the old one.
        await stories.AccountPhone.GotoAsync();
        await stories.AccountPhone.ConfirmAsync(UserStories.WrongCode(firstCode));
        await stories.AccountPhone.ExpectPathAsync(AccountPhonePage.Path);
        await Expect(stories.AccountPhone.FlashError).ToHaveTextAsync(AccountPhonePage.InvalidCode);
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{user.MaskedPhone} (confirmed)");

        // The wrong guess burnt that code: text a new one to the new number, and confirm it.
        await stories.AccountPhone.GotoAsync();
        await stories.AccountPhone.SendCodeAsync(newNumber.Phone);
        await Expect(stories.AccountPhone.FlashInfo).ToHaveTextAsync(AccountPhonePage.CodeSent(newNumber.MaskedPhone));
        Assert.Equal(2, Site.MessagesTo(newNumber.E164).Count);
        var code = stories.CodeSentTo(newNumber);
        Assert.Contains(" is your verification code to confirm this phone number.", Site.MessagesTo(newNumber.E164)[^1].Text, StringComparison.Ordinal);

        await stories.AccountPhone.ConfirmAsync(code);
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountPage.PhoneChanged(newNumber.MaskedPhone));
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{newNumber.MaskedPhone} (confirmed)");

        // Every code went to the new number; the old number got nothing (notices are off by default).
        Assert.Equal(oldTexts, Site.MessagesTo(user.E164).Count);
        Assert.Equal(2, Site.MessagesTo(newNumber.E164).Count);
        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.PhoneChanged);
    });

    [Fact]
    public Task ChangingThePasswordSignsOutTheOtherBrowser() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();

        // A second browser of the same person, signed in too.
        await using var other = await NewContextAsync();
        var otherPage = await other.NewPageAsync();
        var otherStories = new UserStories(otherPage, Site);
        await otherStories.LogInAsync(user);
        await otherStories.Account.GotoAsync();
        await Expect(otherStories.Account.Email).ToHaveTextAsync(user.Email);

        // A wrong current password changes nothing.
        const string newPassword = "a new and longer passphrase";
        await stories.Account.GotoAsync();
        await stories.Account.ChangePasswordLink.ClickAsync();
        await stories.AccountPassword.ExpectPathAsync(AccountPasswordPage.Path);
        await stories.AccountPassword.ChangeAsync(UserStories.WrongPassword, newPassword);
        await stories.AccountPassword.ExpectPathAsync(AccountPasswordPage.Path);
        await Expect(stories.AccountPassword.ErrorFor("CurrentPassword")).ToHaveTextAsync(AccountPasswordPage.WrongCurrentPassword);
        await otherStories.Account.GotoAsync();
        await Expect(otherStories.Account.Email).ToHaveTextAsync(user.Email);

        await stories.AccountPassword.ChangeAsync(user.Password, newPassword);
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountPage.PasswordChanged);

        // This browser stays signed in ...
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Email).ToHaveTextAsync(user.Email);

        // ... the other one is signed out at its next request.
        await otherPage.GotoAsync(AccountPage.Path);
        await Expect(otherPage).ToHaveURLAsync(LoginForAccount);
        await Expect(otherStories.Login.NavLink("Log in")).ToBeVisibleAsync();
        await Expect(otherStories.Login.NavLink("Account")).ToHaveCountAsync(0);

        // The old password no longer works; the new one does.
        await otherStories.FailLogInAsync(user, user.Password);
        await otherStories.LogInAsync(user, newPassword);
    });

    [Fact]
    public Task SecurityActivityListsWhatHappenedNewestFirstWithoutCodes() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAsync();
        Site.Clock.Advance(TimeSpan.FromMinutes(1));
        await stories.FailLogInAsync(user);
        Site.Clock.Advance(TimeSpan.FromMinutes(1));
        await stories.LogInAsync(user);

        await stories.Home.NavLink("Account").ClickAsync();
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.Heading).ToHaveTextAsync("Your account");
        await Expect(stories.Account.Name).ToHaveTextAsync($"{user.FirstName} {user.LastName}");
        await Expect(stories.Account.Email).ToHaveTextAsync(user.Email);
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{user.MaskedPhone} (confirmed)");
        await Expect(stories.Account.SignInCode).ToHaveTextAsync("Off");
        await Expect(stories.Account.ActivityHeading).ToBeVisibleAsync();
        await Expect(stories.Account.ActivityTable.Locator("thead th")).ToHaveTextAsync(["When (UTC)", "What", "From"]);

        await Expect(stories.Account.ActivityWhat).ToHaveTextAsync(
        [
            AccountPage.Events.SignedIn,
            AccountPage.Events.WrongPassword,
            AccountPage.Events.PhoneConfirmed,
            AccountPage.Events.CodeTexted,
            AccountPage.Events.AccountCreated,
        ]);

        // Times on the site's clock, newest first; every event from this browser.
        var now = Site.Clock.GetUtcNow().UtcDateTime;
        string At(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        await Expect(stories.Account.ActivityWhen).ToHaveTextAsync(
        [
            At(now), At(now.AddMinutes(-1)), At(now.AddMinutes(-2)), At(now.AddMinutes(-2)), At(now.AddMinutes(-2)),
        ]);
        foreach (var from in await stories.Account.ActivityFrom.AllInnerTextsAsync())
        {
            Assert.Contains("127.0.0.1", from, StringComparison.Ordinal);
            Assert.Contains("Chrome", from, StringComparison.Ordinal);
        }

        await Expect(stories.Account.OlderLink).ToHaveCountAsync(0);
        await Expect(stories.Account.NewerLink).ToHaveCountAsync(0);

        // Neither the texted codes nor the full phone number are anywhere in the page.
        var response = await stories.Account.GotoAsync();
        var html = await response.TextAsync();
        var codes = stories.CodesSentTo(user.E164);
        Assert.NotEmpty(codes);
        foreach (var code in codes)
        {
            Assert.DoesNotContain(code, html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(user.E164, html, StringComparison.Ordinal);
        Assert.DoesNotContain(user.E164[^10..], html, StringComparison.Ordinal);
        Assert.DoesNotContain(user.Password, html, StringComparison.Ordinal);
    });

    [Fact]
    public Task SignOutEverywhereElseEndsOtherSessionsAndActivityPagesTwentyAtATime() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync(); // 4 events: created, code texted, phone confirmed, signed in

        await using var other = await NewContextAsync();
        var otherPage = await other.NewPageAsync();
        await new UserStories(otherPage, Site).LogInAsync(user); // 5

        await stories.Account.GotoAsync();
        await stories.Account.SignOutEverywhereElseButton.ClickAsync(); // 6
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountPage.SignedOutElsewhere);
        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.SignedOutElsewhere);

        // This browser is still signed in; the other one is not.
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Email).ToHaveTextAsync(user.Email);
        await otherPage.GotoAsync(AccountPage.Path);
        await Expect(otherPage).ToHaveURLAsync(LoginForAccount);

        // 16 more: 22 events, so 20 on the first page and 2 older ones on the second.
        for (var i = 0; i < 16; i++)
        {
            await stories.Account.SignOutEverywhereElseButton.ClickAsync();
            await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountPage.SignedOutElsewhere);
        }

        await stories.Account.GotoAsync();
        await Expect(stories.Account.ActivityRows).ToHaveCountAsync(AccountPage.EventsPerPage);
        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.SignedOutElsewhere);
        await Expect(stories.Account.NewerLink).ToHaveCountAsync(0);

        await stories.Account.OlderLink.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/account\?page=2#activity$"));
        await Expect(stories.Account.ActivityWhat).ToHaveTextAsync([AccountPage.Events.CodeTexted, AccountPage.Events.AccountCreated]);
        await Expect(stories.Account.OlderLink).ToHaveCountAsync(0);

        await stories.Account.NewerLink.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/account\?page=1#activity$"));
        await Expect(stories.Account.ActivityRows).ToHaveCountAsync(AccountPage.EventsPerPage);
        await Expect(stories.Account.ActivityWhat.Last).ToHaveTextAsync(AccountPage.Events.PhoneConfirmed);
    });
}
