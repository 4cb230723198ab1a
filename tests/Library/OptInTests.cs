using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Tests.Library.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Tests.Library;

/// <summary>AddSmsTwoFactor changes nothing the app did not ask for; each opt-in changes exactly its own thing.</summary>
public sealed class OptInTests
{
    private const string Phone = "+16505550155";

    [Fact]
    public async Task WithoutOptInsIdentitysOwnChoicesStand()
    {
        await using var host = new LibraryHost<IdentityUser, AppDbContext>(DatabaseKind.Sqlite, identity: o =>
        {
            o.Lockout.MaxFailedAccessAttempts = 7;
            o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(42);
        });
        var identity = host.Services.GetRequiredService<IOptions<IdentityOptions>>().Value;
        var stock = new IdentityOptions();

        Assert.Equal(7, identity.Lockout.MaxFailedAccessAttempts);
        Assert.Equal(TimeSpan.FromMinutes(42), identity.Lockout.DefaultLockoutTimeSpan);
        Assert.Equal(stock.Tokens.PasswordResetTokenProvider, identity.Tokens.PasswordResetTokenProvider);
        Assert.Equal(stock.Tokens.ChangePhoneNumberTokenProvider, identity.Tokens.ChangePhoneNumberTokenProvider);
        Assert.Contains(SmsCodeTokenProvider<IdentityUser>.ProviderName, identity.Tokens.ProviderMap.Keys);
    }

    [Fact]
    public async Task UseForPasswordResetMakesIdentitysResetTakeATextedCode()
    {
        await using var host = new LibraryHost<IdentityUser, AppDbContext>(DatabaseKind.Sqlite, o => o.UseForPasswordReset = true);
        await using var scope = host.Scope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var sender = scope.ServiceProvider.GetRequiredService<SmsCodeSender<IdentityUser>>();
        var user = new IdentityUser { UserName = "dee@example.com", Email = "dee@example.com", PhoneNumber = Phone, PhoneNumberConfirmed = true };
        Assert.True((await users.CreateAsync(user, "First password 1!")).Succeeded);

        var sent = await sender.SendAsync(user, "ResetPassword");
        Assert.Equal(SmsCodeSendStatus.Sent, sent.Status);
        Assert.Equal("XXXXXXX0155", sent.MaskedPhone);
        var code = host.Sms.LastCodeTo(Phone);
        Assert.Contains("to reset your password", host.Sms.Sent.Single().Text, StringComparison.Ordinal);

        Assert.True((await users.ResetPasswordAsync(user, code, "Second password 2!")).Succeeded);
        Assert.True(await users.CheckPasswordAsync(user, "Second password 2!"));
        // Used once.
        Assert.False((await users.ResetPasswordAsync(user, code, "Third password 3!")).Succeeded);
    }

    [Fact]
    public async Task AnUnconfirmedNumberGetsNoCodeByDefault()
    {
        await using var host = new LibraryHost<IdentityUser, AppDbContext>(DatabaseKind.Sqlite, o => { });
        await using var scope = host.Scope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var sender = scope.ServiceProvider.GetRequiredService<SmsCodeSender<IdentityUser>>();
        var user = new IdentityUser { UserName = "eve@example.com", Email = "eve@example.com", PhoneNumber = Phone };
        Assert.True((await users.CreateAsync(user, "First password 1!")).Succeeded);

        Assert.Equal(SmsCodeSendStatus.PhoneNotConfirmed, (await sender.SendAsync(user, "Unlock")).Status);
        Assert.Empty(host.Sms.Sent);
    }

    [Fact]
    public async Task AFailedSendRefundsTheBudgetAndLeavesNoLiveCode()
    {
        await using var host = new LibraryHost<IdentityUser, AppDbContext>(DatabaseKind.Sqlite, o => o.MaxTextsPerAccountPerHour = 1);
        await using var scope = host.Scope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var sender = scope.ServiceProvider.GetRequiredService<SmsCodeSender<IdentityUser>>();
        var user = new IdentityUser { UserName = "fay@example.com", Email = "fay@example.com", PhoneNumber = Phone, PhoneNumberConfirmed = true };
        Assert.True((await users.CreateAsync(user, "First password 1!")).Succeeded);

        host.Sms.Answer = () => IdentityTwoFactor.Sms.SmsSendResult.Failed(IdentityTwoFactor.Sms.SmsFailureKind.ProviderUnavailable);
        Assert.Equal(SmsCodeSendStatus.Failed, (await sender.SendAsync(user, "Unlock")).Status);
        var store = (IdentityTwoFactor.Stores.IUserSmsTwoFactorStore<IdentityUser>)scope.ServiceProvider.GetRequiredService<IUserStore<IdentityUser>>();
        Assert.Null(await store.FindCodeAsync(user, "Unlock", CancellationToken.None));

        // The one text of the hour was refunded: the retry goes (the cooldown too, since nothing was sent).
        host.Sms.Answer = () => IdentityTwoFactor.Sms.SmsSendResult.Sent("m-2");
        Assert.Equal(SmsCodeSendStatus.Sent, (await sender.SendAsync(user, "Unlock")).Status);
        Assert.Equal(SmsCodeSendStatus.Refused, (await sender.SendAsync(user, "Unlock", ignoreCooldown: true)).Status);
    }
}
