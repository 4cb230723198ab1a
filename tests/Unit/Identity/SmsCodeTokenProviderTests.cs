using System.Text;
using System.Text.RegularExpressions;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Identity;

public abstract partial class SmsCodeTokenProviderTests : IAsyncLifetime
{
    private const string Provider = SmsCodeTokenProvider.ProviderName;
    private readonly IdentityHost _host;

    protected SmsCodeTokenProviderTests(DatabaseKind database)
    {
        Database = database;
        _host = new IdentityHost(database: database);
    }

    protected DatabaseKind Database { get; }

    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [GeneratedRegex("^[0-9]{6}$")]
    private static partial Regex SixDigits();

    [Fact]
    public async Task CodesAreSixAsciiDigitsAndVary()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);

        var codes = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            codes.Add(await scope.Users.GenerateUserTokenAsync(loaded, Provider, CodePurposes.Unlock));
        }

        Assert.All(codes, c => Assert.Matches(SixDigits(), c));
        Assert.True(codes.Count > 45, $"only {codes.Count} distinct codes in 50");
    }

    [Fact]
    public async Task LeadingZerosArePartOfTheCode()
    {
        await using var host = new IdentityHost(codes: new FixedCodes("000042"), database: Database);
        var user = await host.CreateUserAsync();
        await using var scope = host.NewScope();
        var loaded = await scope.LoadAsync(user);

        var code = await scope.Users.GenerateUserTokenAsync(loaded, Provider, CodePurposes.Unlock);
        Assert.Equal("000042", code);
        Assert.False(await scope.Users.VerifyUserTokenAsync(loaded, Provider, CodePurposes.Unlock, "42"));

        await scope.Users.GenerateUserTokenAsync(loaded, Provider, CodePurposes.Unlock);
        Assert.True(await scope.Users.VerifyUserTokenAsync(loaded, Provider, CodePurposes.Unlock, "000042"));
    }

    [Fact]
    public async Task CodeIsValidOneTickBeforeTheLifetimeEnds()
    {
        var (scope, user, code) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;

        _host.Clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromTicks(1));

        Assert.Equal(SmsCodeCheckResult.Valid, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, code));
    }

    [Fact]
    public async Task CodeIsExpiredExactlyAtTheLifetime()
    {
        var (scope, user, code) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;

        _host.Clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(CodeState.Expired, await scope.Users.GetCodeStateAsync(user, CodePurposes.Unlock));
        Assert.Equal(SmsCodeCheckResult.Expired, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, code));
        Assert.Equal(SmsCodeCheckResult.Missing, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, code));
    }

    [Fact]
    public async Task LifetimeIsConfigurable()
    {
        await using var host = new IdentityHost(s => s["TwoFactor:CodeLifetime"] = "00:10:00", database: Database);
        var user = await host.CreateUserAsync();
        await using var scope = host.NewScope();
        var loaded = await scope.LoadAsync(user);
        var code = await scope.Users.GenerateUserTokenAsync(loaded, Provider, CodePurposes.Unlock);

        host.Clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(SmsCodeCheckResult.Expired, await scope.Users.CheckCodeAsync(loaded, CodePurposes.Unlock, code));
    }

    [Fact]
    public async Task ACodeWorksOnlyOnce()
    {
        var (scope, user, code) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;

        Assert.Equal(SmsCodeCheckResult.Valid, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, code));
        Assert.Equal(SmsCodeCheckResult.Missing, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, code));
    }

    [Fact]
    public async Task OneWrongGuessBurnsTheCode()
    {
        var (scope, user, code) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;
        var wrong = code == "123456" ? "654321" : "123456";

        Assert.Equal(SmsCodeCheckResult.Wrong, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, wrong));
        Assert.Equal(SmsCodeCheckResult.Missing, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, code));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12a456")]
    [InlineData("١٢٣٤٥٦")] // Arabic-Indic digits are not ASCII digits
    public async Task MalformedInputIsAWrongGuess(string input)
    {
        var (scope, user, code) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;

        Assert.Equal(SmsCodeCheckResult.Wrong, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, input));
        Assert.Equal(SmsCodeCheckResult.Missing, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, code));
    }

    [Fact]
    public async Task ACodeForOnePurposeNeverWorksForAnother()
    {
        var (scope, user, code) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;

        Assert.Equal(SmsCodeCheckResult.Missing, await scope.Users.CheckCodeAsync(user, CodePurposes.ResetPassword, code));
        // A live code of the other purpose exists: still no match.
        await scope.Users.GenerateUserTokenAsync(user, Provider, CodePurposes.ResetPassword);
        Assert.False(await scope.Users.VerifyUserTokenAsync(user, Provider, CodePurposes.ResetPassword, code));
        Assert.True(await scope.Users.VerifyUserTokenAsync(user, Provider, CodePurposes.Unlock, code));
    }

    [Fact]
    public async Task ACodeIsBoundToThePhoneNumberItWasSentTo()
    {
        var (scope, user, code) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;
        var row = await scope.Db.UserCodes.AsNoTracking().SingleAsync();

        // Same row, but the user's number changed in memory only (as if changed elsewhere): the hash no longer matches.
        user.PhoneNumber = "+16505550002";
        Assert.Equal(SmsCodeCheckResult.Wrong, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, code));
        Assert.NotNull(row);
    }

    [Fact]
    public async Task ANewCodeReplacesTheOld()
    {
        var (scope, user, first) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;
        string second;
        do
        {
            second = await scope.Users.GenerateUserTokenAsync(user, Provider, CodePurposes.Unlock);
        }
        while (second == first);

        Assert.Equal(1, await scope.Db.UserCodes.CountAsync());
        Assert.Equal(SmsCodeCheckResult.Wrong, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, first));
        // The wrong guess burnt the live (second) code as well: one guess per code.
        Assert.Equal(SmsCodeCheckResult.Missing, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, second));
    }

    [Fact]
    public async Task TheNewestCodeWorksAfterAResend()
    {
        var (scope, user, first) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;
        var second = await scope.Users.GenerateUserTokenAsync(user, Provider, CodePurposes.Unlock);

        Assert.Equal(SmsCodeCheckResult.Valid, await scope.Users.CheckCodeAsync(user, CodePurposes.Unlock, second));
        Assert.NotNull(first);
    }

    [Fact]
    public async Task TheStoredValueIsAKeyedHashNotTheCode()
    {
        var (scope, user, code) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;

        var row = await scope.Db.UserCodes.AsNoTracking().SingleAsync();
        Assert.Equal(32, row.CodeHash.Length);
        var hex = Convert.ToHexString(row.CodeHash);
        Assert.DoesNotContain(code, hex, StringComparison.Ordinal);
        Assert.DoesNotContain(code, Encoding.Latin1.GetString(row.CodeHash), StringComparison.Ordinal);
        Assert.NotEqual(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(code)), row.CodeHash);
        if (Database == DatabaseKind.Sqlite)
        {
            var fileBytes = await File.ReadAllBytesAsync(_host.DatabasePath);
            Assert.DoesNotContain(code, Encoding.Latin1.GetString(fileBytes), StringComparison.Ordinal);
        }
        Assert.NotNull(user);
    }

    [Fact]
    public async Task SendTextsTheCodeAndStoresItOnlyAfterTheSend()
    {
        var user = await _host.CreateUserAsync(phone: "+16505551234");
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);

        var result = await scope.Users.SendCodeAsync(loaded, CodePurposes.Unlock);

        Assert.True(result.Sent);
        Assert.Equal("XXXXXXX1234", result.MaskedPhone);
        var message = Assert.Single(_host.Outbox.Messages);
        Assert.Equal("+16505551234", message.To);
        var code = SixDigits().Match(message.Text[..6]).Value;
        Assert.Equal(6, code.Length);
        var row = await scope.Db.UserCodes.AsNoTracking().SingleAsync();
        Assert.Equal(CodePurposes.Unlock, row.Purpose);
        Assert.Equal(SmsCodeCheckResult.Valid, await scope.Users.CheckCodeAsync(loaded, CodePurposes.Unlock, code));
    }

    [Fact]
    public async Task ResetPasswordWorksThroughUserManagerWithATextedCode()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        var stamp = loaded.SecurityStamp;

        var code = await scope.Users.GeneratePasswordResetTokenAsync(loaded);
        Assert.Matches(SixDigits(), code);
        var result = await scope.Users.ResetPasswordAsync(loaded, code, "a brand new passphrase");

        Assert.True(result.Succeeded);
        var after = await _host.ReloadAsync(user);
        Assert.NotEqual(stamp, after.SecurityStamp);
        await using var check = _host.NewScope();
        Assert.True(await check.Users.CheckPasswordAsync(after, "a brand new passphrase"));
        Assert.False(await check.Users.CheckPasswordAsync(after, IdentityHost.Password));
        Assert.False((await scope.Users.ResetPasswordAsync(loaded, code, "yet another passphrase")).Succeeded);
    }

    [Fact]
    public async Task AnUnlockCodeCannotResetThePassword()
    {
        var (scope, user, code) = await IssueAsync(CodePurposes.Unlock);
        await using var _ = scope;

        var result = await scope.Users.ResetPasswordAsync(user, code, "a brand new passphrase");

        Assert.False(result.Succeeded);
        Assert.Equal("InvalidToken", Assert.Single(result.Errors).Code);
    }

    private async Task<(IdentityHost.Scope Scope, TwoFactorUser User, string Code)> IssueAsync(string purpose)
    {
        var user = await _host.CreateUserAsync();
        var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        var code = await scope.Users.GenerateUserTokenAsync(loaded, Provider, purpose);
        return (scope, loaded, code);
    }

    private sealed class FixedCodes(string code) : ICodeGenerator
    {
        public string NewCode() => code;
    }

    public sealed class OnSqlite() : SmsCodeTokenProviderTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : SmsCodeTokenProviderTests(DatabaseKind.PostgreSql);
}
