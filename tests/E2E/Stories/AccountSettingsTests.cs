using System.Globalization;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Tests.E2E.Infrastructure;
using IdentityTwoFactor.Tests.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>Stories 16 to 19: the account page, changing the phone number and the password, the signed-in browsers, the
/// lock that wrong current passwords lead to, and the security activity.</summary>
public sealed class AccountSettingsTests(BrowserFixture browser, SiteFixture site, ITestOutputHelper output) : E2ETest(browser, site, output)
{
    /// <summary>Where a signed-out browser is sent for /account.</summary>
    private static readonly Regex LoginForAccount = new(@"^https?://[^/]+/login\?ReturnUrl=%2Faccount$");

    [Fact]
    public Task ChangingThePhoneTakesThePasswordAndTheCodeTextedToTheOldNumber() => RunAsync(async page =>
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

        // A wrong current password texts nothing.
        await stories.AccountPhone.SendCodesAsync(newNumber.Phone, UserStories.WrongPassword);
        await stories.AccountPhone.ExpectPathAsync(AccountPhonePage.Path);
        await Expect(stories.AccountPhone.ErrorFor("CurrentPassword")).ToHaveTextAsync(AccountPhonePage.WrongCurrentPassword);
        await Expect(stories.AccountPhone.Code).ToHaveCountAsync(0);
        Assert.Empty(Site.MessagesTo(newNumber.E164));
        Assert.Equal(oldTexts, Site.MessagesTo(user.E164).Count);

        // The password: a code to the new number, and one to the old number to approve the move.
        var (newNumberCode, approvalCode) = await stories.StartPhoneChangeAsync(user, newNumber);
        await Expect(stories.AccountPhone.Main).ToContainTextAsync($"Sent to {newNumber.MaskedPhone}.");
        await Expect(stories.AccountPhone.Main).ToContainTextAsync($"Sent to {user.MaskedPhone}.");

        // Not confirmed yet: the account keeps the old number, and the form still waits for both codes.
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{user.MaskedPhone} (confirmed)");
        await stories.AccountPhone.GotoAsync();
        await Expect(stories.AccountPhone.CurrentPhoneCode).ToBeVisibleAsync();

        // The right code for the new number with a wrong approval code: refused, both used up, nothing changed.
        await stories.AccountPhone.ConfirmAsync(newNumberCode, UserStories.WrongCode(approvalCode));
        await stories.AccountPhone.ExpectPathAsync(AccountPhonePage.Path);
        await Expect(stories.AccountPhone.FlashError).ToHaveTextAsync(AccountPhonePage.CodeRejected);
        await Expect(stories.AccountPhone.Code).ToHaveCountAsync(0);
        await Expect(stories.AccountPhone.CurrentPhoneCode).ToHaveCountAsync(0);
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{user.MaskedPhone} (confirmed)");
        Assert.Single(Site.MessagesTo(newNumber.E164));
        Assert.Equal(oldTexts + 1, Site.MessagesTo(user.E164).Count);

        // Again from the start, with both right codes.
        (newNumberCode, approvalCode) = await stories.StartPhoneChangeAsync(user, newNumber);
        await stories.AccountPhone.ConfirmAsync(newNumberCode, approvalCode);
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountPage.PhoneChanged(newNumber.MaskedPhone));
        await Expect(stories.Account.Phone).ToHaveTextAsync($"{newNumber.MaskedPhone} (confirmed)");

        // Both numbers are told (notices are off by default: this one is sent anyway).
        var oldNumberTexts = Site.MessagesTo(user.E164);
        var newNumberTexts = Site.MessagesTo(newNumber.E164);
        Assert.Equal(oldTexts + 3, oldNumberTexts.Count); // two approval codes and the notice
        Assert.Equal(3, newNumberTexts.Count); // two codes and the notice
        Assert.Contains(AccountPhonePage.ChangedNotice, oldNumberTexts[^1].Text, StringComparison.Ordinal);
        Assert.Contains(AccountPhonePage.ChangedNotice, newNumberTexts[^1].Text, StringComparison.Ordinal);

        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.PhoneChanged);
        await Expect(stories.Account.ActivityWhat.Filter(new() { HasText = AccountPage.Events.WrongCode })).ToHaveCountAsync(1);
        await Expect(stories.Account.ActivityWhat.Filter(new() { HasText = AccountPage.Events.WrongPassword })).ToHaveCountAsync(1);
    });

    [Fact]
    public Task SignedInBrowsersAreListedAndAnotherOneCanBeSignedOutFromTheList() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();

        // The same person in Firefox on a phone.
        await using var other = await NewContextAsync(UserAgents.FirefoxOnAndroid);
        var otherPage = await other.NewPageAsync();
        var otherStories = new UserStories(otherPage, Site);
        await otherStories.LogInAsync(user);
        await otherStories.Account.GotoAsync();
        await Expect(otherStories.Account.CurrentSession).ToContainTextAsync(UserAgents.FirefoxOnAndroidName);

        // Both sessions, on the site's clock, this one marked.
        var now = Site.Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        await stories.Account.GotoAsync();
        await Expect(stories.Account.SessionsHeading).ToBeVisibleAsync();
        await Expect(stories.Account.Sessions).ToHaveCountAsync(2);
        await Expect(stories.Account.CurrentSession).ToHaveCountAsync(1);
        await Expect(stories.Account.CurrentSession.Locator("strong")).ToHaveTextAsync(UserAgents.ChromiumName);
        var phone = stories.Account.SessionOf(UserAgents.FirefoxOnAndroidName);
        await Expect(phone).ToHaveCountAsync(1);
        await Expect(phone).Not.ToContainTextAsync("(this browser)");
        await Expect(phone.Locator(".hint")).ToHaveTextAsync($"From 127.0.0.x. Signed in {now} UTC, last seen {now} UTC.");
        await Expect(AccountPage.SignOutButtonOf(stories.Account.CurrentSession))
            .ToHaveAccessibleNameAsync($"Sign out this browser {UserAgents.ChromiumName}, signed in {now}");
        await Expect(AccountPage.SignOutButtonOf(phone)).ToHaveAccessibleNameAsync($"Sign out {UserAgents.FirefoxOnAndroidName}, signed in {now}");

        // Signing out the phone's session from the list.
        await AccountPage.SignOutButtonOf(phone).ClickAsync();
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountPage.SessionSignedOut);
        await Expect(stories.Account.Sessions).ToHaveCountAsync(1);
        await Expect(stories.Account.CurrentSession).ToHaveCountAsync(1);
        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.SessionEnded);
        await Expect(stories.Account.ActivityFromBrowser.First).ToHaveTextAsync(UserAgents.ChromiumName);
        await Expect(stories.Account.ActivityWhat.Nth(1)).ToHaveTextAsync(AccountPage.Events.SignedIn);
        await Expect(stories.Account.ActivityFromBrowser.Nth(1)).ToHaveTextAsync(UserAgents.FirefoxOnAndroidName);

        // The phone is out at its very next request; this browser is not.
        await otherPage.GotoAsync(AccountPage.Path);
        await Expect(otherPage).ToHaveURLAsync(LoginForAccount);
        await Expect(otherStories.Login.NavLink("Account")).ToHaveCountAsync(0);
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Email).ToHaveTextAsync(user.Email);
        await Expect(stories.Account.Sessions).ToHaveCountAsync(1);
    });

    [Fact]
    public Task ThreeWrongCurrentPasswordsOnThePasswordPageLockTheAccountAndLeadToUnlock() => RunAsync(async page =>
    {
        var stories = new UserStories(page, Site);
        var user = await stories.SignUpAndLogInAsync();
        var textsBefore = Site.MessagesTo(user.E164).Count;
        const string newPassword = "a new and longer passphrase";

        await stories.AccountPassword.GotoAsync();
        for (var i = 0; i < 2; i++)
        {
            await stories.AccountPassword.ChangeAsync(UserStories.WrongPassword, newPassword);
            await stories.AccountPassword.ExpectPathAsync(AccountPasswordPage.Path);
            await Expect(stories.AccountPassword.ErrorFor("CurrentPassword")).ToHaveTextAsync(AccountPasswordPage.WrongCurrentPassword);
        }

        Assert.Equal(textsBefore, Site.MessagesTo(user.E164).Count);

        // The third locks: this browser is signed out and sent to /unlock, and the unlock code is texted once.
        await stories.AccountPassword.ChangeAsync(UserStories.WrongPassword, newPassword);
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(stories.Unlock.FlashInfo).ToHaveTextAsync(UnlockPage.Locked(user.MaskedPhone));
        await Expect(stories.Unlock.Email).ToHaveValueAsync(user.Email);
        await Expect(stories.Unlock.NavLink("Log in")).ToBeVisibleAsync();
        await Expect(stories.Unlock.NavLink("Account")).ToHaveCountAsync(0);
        Assert.Equal(textsBefore + 1, Site.MessagesTo(user.E164).Count);
        var code = stories.CodeSentTo(user);
        Assert.Contains(" is your verification code to unlock your account.", Site.MessagesTo(user.E164)[^1].Text, StringComparison.Ordinal);

        await page.GotoAsync(AccountPage.Path);
        await Expect(page).ToHaveURLAsync(LoginForAccount);

        // Even the right password does not get in while locked, and texts nothing more.
        await stories.Login.LogInAsync(user.Email, user.Password);
        await stories.Unlock.ExpectPathAsync(UnlockPage.Path);
        await Expect(stories.Unlock.FlashInfo).ToHaveTextAsync(UnlockPage.StillLocked(user.MaskedPhone));
        Assert.Equal(textsBefore + 1, Site.MessagesTo(user.E164).Count);

        // The texted code unlocks; the password was never changed.
        await stories.UnlockAsync(user, code);
        await stories.LogInAsync(user);
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
            AccountPage.Events.RecoveryCodesMade,
            AccountPage.Events.PhoneConfirmed,
            AccountPage.Events.CodeTexted,
            AccountPage.Events.AccountCreated,
        ]);

        // Times on the site's clock, newest first; every event from this browser.
        var now = Site.Clock.GetUtcNow().UtcDateTime;
        string At(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        await Expect(stories.Account.ActivityWhen).ToHaveTextAsync(
        [
            At(now), At(now.AddMinutes(-1)), At(now.AddMinutes(-2)), At(now.AddMinutes(-2)), At(now.AddMinutes(-2)), At(now.AddMinutes(-2)),
        ]);
        // "From": the network, not the host, and a short browser name instead of the raw User-Agent.
        await Expect(stories.Account.ActivityFromBrowser).ToHaveTextAsync(Enumerable.Repeat(UserAgents.ChromiumName, 6).ToArray());
        foreach (var from in await stories.Account.ActivityFrom.AllInnerTextsAsync())
        {
            Assert.StartsWith("127.0.0.x", from, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", from, StringComparison.Ordinal);
            Assert.DoesNotContain("Mozilla", from, StringComparison.Ordinal);
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
        var user = await stories.SignUpAndLogInAsync(); // 5 events: created, code texted, phone confirmed, recovery codes made, signed in

        await using var other = await NewContextAsync();
        var otherPage = await other.NewPageAsync();
        await new UserStories(otherPage, Site).LogInAsync(user); // 6

        await stories.Account.GotoAsync();
        await stories.Account.SignOutEverywhereElseButton.ClickAsync(); // 7
        await stories.Account.ExpectPathAsync(AccountPage.Path);
        await Expect(stories.Account.FlashInfo).ToHaveTextAsync(AccountPage.SignedOutElsewhere);
        await Expect(stories.Account.ActivityWhat.First).ToHaveTextAsync(AccountPage.Events.SignedOutElsewhere);

        // This browser is still signed in; the other one is not.
        await stories.Account.GotoAsync();
        await Expect(stories.Account.Email).ToHaveTextAsync(user.Email);
        await otherPage.GotoAsync(AccountPage.Path);
        await Expect(otherPage).ToHaveURLAsync(LoginForAccount);

        // 15 more: 22 events, so 20 on the first page and 2 older ones on the second.
        for (var i = 0; i < 15; i++)
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
