using System.Text.Json;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>Confirmed phones, purpose isolation, phone change, notices and security events, on both databases.</summary>
public abstract class AccountFeaturesTests : IAsyncLifetime
{
    private const string Provider = SmsCodeTokenProvider.ProviderName;
    private readonly IdentityHost _host;

    protected AccountFeaturesTests(DatabaseKind database)
    {
        Database = database;
        _host = new IdentityHost(database: database);
    }

    protected DatabaseKind Database { get; }

    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    public static TheoryData<string, string> PurposePairs()
    {
        string[] purposes = [CodePurposes.Unlock, CodePurposes.ResetPassword, CodePurposes.ConfirmPhone, CodePurposes.SignIn, SmsCodeTokenProvider.ChangePhonePrefix + "+16502530099"];
        var data = new TheoryData<string, string>();
        foreach (var issued in purposes)
        {
            foreach (var tried in purposes.Where(p => p != issued))
            {
                data.Add(issued, tried);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PurposePairs))]
    public async Task ACodeWorksOnlyForThePurposeItWasIssuedFor(string issued, string tried)
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        var code = await scope.Users.GenerateUserTokenAsync(loaded, Provider, issued);
        await scope.Users.GenerateUserTokenAsync(loaded, Provider, tried); // a live code of the other purpose too

        Assert.False(await scope.Users.VerifyUserTokenAsync(loaded, Provider, tried, code));
        Assert.True(await scope.Users.VerifyUserTokenAsync(loaded, Provider, issued, code));
    }

    [Fact]
    public async Task CodesAreTextedOnlyToConfirmedPhonesExceptTheConfirmationItself()
    {
        var user = await _host.CreateUserAsync(phone: "+16502530001", confirmedPhone: false);
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);

        foreach (var purpose in new[] { CodePurposes.Unlock, CodePurposes.ResetPassword, CodePurposes.SignIn })
        {
            var refused = await scope.Users.SendCodeAsync(loaded, purpose);
            Assert.False(refused.Sent);
            Assert.True(refused.PhoneNotConfirmed);
        }
        Assert.Empty(_host.Outbox.Messages);
        Assert.False(await scope.Users.GetTwoFactorEnabledAsync(loaded) && (await scope.Users.GetValidTwoFactorProvidersAsync(loaded)).Count > 0);

        Assert.True((await scope.Users.SendCodeAsync(loaded, CodePurposes.ConfirmPhone)).Sent);
        var code = _host.Outbox.Messages[0].Text[..6];
        Assert.Equal(SmsCodeCheckResult.Valid, await scope.Users.ConfirmPhoneAsync(loaded, code));

        Assert.True((await _host.ReloadAsync(user)).PhoneNumberConfirmed);
        Assert.True((await scope.Users.SendCodeAsync(loaded, CodePurposes.Unlock)).Sent);
        Assert.Contains(SmsCodeTokenProvider.ProviderName, await scope.Users.GetValidTwoFactorProvidersAsync(loaded));
    }

    [Fact]
    public async Task AChangePhoneCodeGoesToTheNewNumberAndIsBoundToIt()
    {
        var user = await _host.CreateUserAsync(phone: "+16502530002");
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        const string newPhone = "+16502530003";

        Assert.True((await scope.Users.SendCodeAsync(loaded, SmsCodeTokenProvider.ChangePhonePrefix + newPhone)).Sent);
        var message = Assert.Single(_host.Outbox.Messages);
        Assert.Equal(newPhone, message.To);
        var code = message.Text[..6];

        Assert.False((await scope.Users.ChangePhoneNumberAsync(loaded, "+16502530004", code)).Succeeded);
        Assert.Equal("+16502530002", (await _host.ReloadAsync(user)).PhoneNumber);

        Assert.True((await scope.Users.SendCodeAsync(loaded, SmsCodeTokenProvider.ChangePhonePrefix + newPhone)).Sent);
        code = _host.Outbox.Messages[0].Text[..6];
        Assert.True((await scope.Users.ChangePhoneNumberAsync(loaded, newPhone, code)).Succeeded);
        var after = await _host.ReloadAsync(user);
        Assert.Equal(newPhone, after.PhoneNumber);
        Assert.True(after.PhoneNumberConfirmed);
    }

    [Fact]
    public async Task NoticesAreTextedOnlyWhenTurnedOn()
    {
        await using var withNotices = new IdentityHost(s => s["TwoFactor:Notices"] = "true", database: Database);
        foreach (var (host, expected) in new[] { (_host, 0), (withNotices, 1) })
        {
            var user = await host.CreateUserAsync(phone: "+16502530005");
            await using var scope = host.NewScope();
            var loaded = await scope.LoadAsync(user);

            Assert.True((await scope.Users.ChangePasswordAsync(loaded, IdentityHost.Password, "another long passphrase")).Succeeded);

            var notices = host.Outbox.Messages.Where(m => m.Text.StartsWith("Your password was just changed.", StringComparison.Ordinal)).ToList();
            Assert.Equal(expected, notices.Count);
            Assert.All(notices, n => Assert.DoesNotMatch("[0-9]{6}", n.Text));
        }
    }

    [Fact]
    public async Task PruningDeletesOnlyEventsOlderThanTheRetention()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var events = scope.Services.GetRequiredService<ISecurityEventLog>();
        await events.RecordAsync(user.Id, SecurityEventKinds.SignedIn);
        _host.Clock.Advance(TimeSpan.FromDays(89));
        await events.RecordAsync(user.Id, SecurityEventKinds.PasswordChanged);
        _host.Clock.Advance(TimeSpan.FromDays(2));

        var pruned = await events.PruneAsync();

        var left = await events.ListAsync(user.Id, 1, 50);
        Assert.True(pruned >= 2); // the signup event and the first sign-in
        Assert.Equal([SecurityEventKinds.PasswordChanged], left.Select(e => e.Kind));
    }

    [Fact]
    public async Task EventsListNewestFirstAndHoldNoCodePasswordOrKey()
    {
        var user = await _host.CreateUserAsync(phone: "+16502530006");
        var codes = new List<string>();
        await using (var scope = _host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            for (var i = 0; i < 3; i++)
            {
                _host.Clock.Advance(TimeSpan.FromSeconds(1));
                await scope.Users.RecordFailedPasswordAsync(loaded);
            }
            _host.Clock.Advance(TimeSpan.FromSeconds(1));
            await scope.Users.SendCodeAsync(loaded, CodePurposes.Unlock);
            codes.Add(_host.Outbox.Messages[0].Text[..6]);
            _host.Clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(UnlockResult.Unlocked, await scope.Users.UnlockWithCodeAsync(loaded, codes[0]));
            _host.Clock.Advance(TimeSpan.FromSeconds(1));
            var reset = await scope.Users.GeneratePasswordResetTokenAsync(loaded);
            codes.Add(reset);
            Assert.True((await scope.Users.ResetPasswordAsync(loaded, reset, "the next long passphrase")).Succeeded);
        }

        await using var read = _host.NewScope();
        var events = await read.Services.GetRequiredService<ISecurityEventLog>().ListAsync(user.Id, 1, 50);
        Assert.Equal(
            [SecurityEventKinds.PasswordReset, SecurityEventKinds.Unlocked, SecurityEventKinds.CodeSent, SecurityEventKinds.Locked,
             SecurityEventKinds.PasswordFailed, SecurityEventKinds.PasswordFailed, SecurityEventKinds.PasswordFailed, SecurityEventKinds.SignedUp],
            events.Select(e => e.Kind));
        var rows = JsonSerializer.Serialize(await read.Db.SecurityEvents.AsNoTracking().ToListAsync());
        foreach (var secret in codes.Concat([IdentityHost.Password, "the next long passphrase", user.PasswordHash!, "+16502530006"]))
        {
            Assert.DoesNotContain(secret, rows, StringComparison.Ordinal);
        }
    }

    public sealed class OnSqlite() : AccountFeaturesTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : AccountFeaturesTests(DatabaseKind.PostgreSql);
}
