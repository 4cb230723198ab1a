using System.Net;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// An attacker holding a copy of a signed-in cookie (a shared computer, a leaked HAR file, malware) tries to turn it
/// into the account: replace the phone, guess the current password, outlive the owner's sign-out.
/// </summary>
public sealed class AccountTakeoverTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string OwnerPhone = "+16502530000";
    private const string AttackerPhone = "+16502539999";
    private SiteFactory _site = null!;

    public async Task InitializeAsync() => _site = await SiteFactory.StartAsync();

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [Fact]
    public async Task AStolenSessionCannotTextAPhoneChangeCodeWithoutThePassword()
    {
        var (email, owner) = await SignedInOwnerAsync();
        using var attacker = StealSession(owner);

        var response = await attacker.PostFormAsync("/account/phone", ("Input.Phone", "(650) 253-9999"));
        await attacker.PostFormAsync("/account/phone", [new("Input.Code", "123456")], "/account/phone?handler=Confirm");

        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Null(_site.RingCentral.LastCodeSentTo(AttackerPhone));
        Assert.Equal(OwnerPhone, await PhoneOfAsync(email));
    }

    [Fact]
    public async Task AStolenSessionWithThePasswordStillNeedsTheCodeTextedToTheCurrentPhone()
    {
        var (email, owner) = await SignedInOwnerAsync();
        using var attacker = StealSession(owner);

        await attacker.PostFormAsync("/account/phone", ("Input.Phone", "(650) 253-9999"), ("Input.CurrentPassword", Password));
        var newNumberCode = _site.RingCentral.LastCodeSentTo(AttackerPhone);
        var guess = await attacker.PostFormAsync("/account/phone",
            [new("Input.Code", newNumberCode ?? "000000"), new("Input.CurrentPhoneCode", "000000")], "/account/phone?handler=Confirm");

        Assert.NotEqual(HttpStatusCode.InternalServerError, guess.StatusCode);
        Assert.Equal(OwnerPhone, await PhoneOfAsync(email));
    }

    [Fact]
    public async Task AChangedNumberIsAnnouncedToTheOldNumberAndTheNewOneWithNoticesOff()
    {
        var (email, owner) = await SignedInOwnerAsync();

        await owner.PostFormAsync("/account/phone", ("Input.Phone", "(650) 253-9999"), ("Input.CurrentPassword", Password));
        var approval = _site.RingCentral.LastCodeSentTo(OwnerPhone)!;
        var code = _site.RingCentral.LastCodeSentTo(AttackerPhone)!;
        var confirm = await owner.PostFormAsync("/account/phone",
            [new("Input.Code", code), new("Input.CurrentPhoneCode", approval)], "/account/phone?handler=Confirm");

        Assert.Equal("/account", confirm.Headers.Location?.OriginalString);
        Assert.Equal(AttackerPhone, await PhoneOfAsync(email));
        Assert.Contains(_site.RingCentral.Messages, m => m.To == OwnerPhone && m.Text.Contains("was just changed", StringComparison.Ordinal));
        Assert.Contains(_site.RingCentral.Messages, m => m.To == AttackerPhone && m.Text.Contains("was just changed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACopiedCookieStopsWorkingWhenItsOwnerSignsOut()
    {
        var (_, owner) = await SignedInOwnerAsync();
        using var attacker = StealSession(owner);
        Assert.Equal(HttpStatusCode.OK, (await attacker.Http.GetAsync(new Uri("/account", UriKind.Relative))).StatusCode);

        var logout = await owner.PostFormAsync("/account", [], "/logout");
        Assert.Equal("/login", logout.Headers.Location?.OriginalString);

        var after = await attacker.Http.GetAsync(new Uri("/account", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/login", new Uri(attacker.Http.BaseAddress!, after.Headers.Location!).AbsolutePath);
    }

    [Theory]
    [InlineData("/account/password")]
    [InlineData("/account/two-factor")]
    public async Task WrongCurrentPasswordsFromASessionLockTheAccount(string page)
    {
        var (email, owner) = await SignedInOwnerAsync();
        using var attacker = StealSession(owner);
        var hashBefore = await _site.WithDbAsync(db => db.Users.AsNoTracking().Where(u => u.Email == email).Select(u => u.PasswordHash).SingleAsync());

        var token = await attacker.GetTokenAsync(page);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 25; i++)
        {
            using var form = new FormUrlEncodedContent([
                new("Input.CurrentPassword", $"guess number {i}"), new("Input.NewPassword", "a brand new passphrase"),
                new("Input.ConfirmPassword", "a brand new passphrase"), new("__RequestVerificationToken", token)]);
            statuses.Add((await attacker.Http.PostAsync(new Uri(page, UriKind.Relative), form)).StatusCode);
        }

        Assert.DoesNotContain(HttpStatusCode.InternalServerError, statuses);
        // The lock threw the guessing session out (it was the owner's session, copied: it ends for both).
        Assert.Equal(HttpStatusCode.Redirect, (await attacker.Http.GetAsync(new Uri(page, UriKind.Relative))).StatusCode);
        // The right password is not even checked any more.
        Assert.Equal("/unlock", (await owner.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        var user = await _site.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));
        Assert.NotNull(user.LockoutEnd);
        Assert.Equal(3, user.AccessFailedCount);
        Assert.Equal(hashBefore, user.PasswordHash);
        Assert.False(user.TwoFactorEnabled);
        Assert.Single(_site.RingCentral.Messages, m => m.To == OwnerPhone && m.Text.Contains("to unlock your account", StringComparison.Ordinal));
    }

    private FormClient StealSession(FormClient owner)
    {
        var attacker = _site.NewClient();
        owner.CopyCookieTo(attacker, "itf.auth");
        return attacker;
    }

    private async Task<(string Email, FormClient Owner)> SignedInOwnerAsync()
    {
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        var owner = _site.NewClient();
        Assert.Equal(FormClient.AfterSignUp, (await owner.SignUpAsync(email, Password)).Headers.Location?.OriginalString);
        Assert.Equal("/", (await owner.LogInAsync(email, Password)).Headers.Location?.OriginalString);
        return (email, owner);
    }

    private Task<string?> PhoneOfAsync(string email) =>
        _site.WithDbAsync(db => db.Users.AsNoTracking().Where(u => u.Email == email).Select(u => u.PhoneNumber).SingleAsync());
}
