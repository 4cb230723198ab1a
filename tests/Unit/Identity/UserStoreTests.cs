using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>The store through UserManager and directly, on a real SQLite file.</summary>
public abstract class UserStoreTests : IAsyncLifetime
{
    private readonly IdentityHost _host;

    protected UserStoreTests(DatabaseKind database)
    {
        Database = database;
        _host = new IdentityHost(database: database);
    }

    protected DatabaseKind Database { get; }

    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [Fact]
    public async Task CreatedUserIsFoundByNormalizedEmailWhateverTheCase()
    {
        var user = await _host.CreateUserAsync("Grace.Hopper@Example.com");

        await using var scope = _host.NewScope();
        var found = await scope.Users.FindByEmailAsync("grace.hopper@EXAMPLE.COM");

        Assert.NotNull(found);
        Assert.Equal(user.Id, found.Id);
        Assert.Equal("GRACE.HOPPER@EXAMPLE.COM", found.NormalizedEmail);
        Assert.Equal("Grace.Hopper@Example.com", found.Email);
        Assert.Equal(user.Id, (await scope.Users.FindByNameAsync("grace.hopper@example.com"))?.Id);
    }

    [Fact]
    public async Task StoredFieldsRoundTrip()
    {
        var user = await _host.CreateUserAsync(phone: "+447700900123");

        var loaded = await _host.ReloadAsync(user);

        Assert.Equal("Ada", loaded.FirstName);
        Assert.Equal("Lovelace", loaded.LastName);
        Assert.Equal("+447700900123", loaded.PhoneNumber);
        Assert.True(loaded.PhoneNumberConfirmed);
        Assert.False(loaded.TwoFactorEnabled);
        Assert.True(loaded.LockoutEnabled);
        Assert.Equal(0, loaded.AccessFailedCount);
        Assert.Null(loaded.LockoutEnd);
        Assert.False(string.IsNullOrEmpty(loaded.SecurityStamp));
        Assert.StartsWith("AQAAAA", loaded.PasswordHash, StringComparison.Ordinal); // Identity v3 PBKDF2 format
        Assert.DoesNotContain(IdentityHost.Password, loaded.PasswordHash, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuplicateEmailIsRefusedWhateverTheCase()
    {
        await _host.CreateUserAsync("dup@example.com");

        await using var scope = _host.NewScope();
        var second = new TwoFactorUser { Email = "DUP@example.com", UserName = "DUP@example.com", PhoneNumber = "+16505550000" };
        var result = await scope.Users.CreateAsync(second, IdentityHost.Password);

        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Code is "DuplicateEmail" or "DuplicateUserName");
        Assert.Equal(1, await scope.Db.Users.CountAsync());
    }

    [Fact]
    public async Task StoreRefusesDuplicateEvenWhenValidatorsAreBypassed()
    {
        await _host.CreateUserAsync("race@example.com");

        await using var scope = _host.NewScope();
        var second = new TwoFactorUser { Email = "race@example.com", NormalizedEmail = "RACE@EXAMPLE.COM", UserName = "x", NormalizedUserName = "X" };
        var result = await scope.Store.CreateAsync(second, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal("DuplicateEmail", Assert.Single(result.Errors).Code);
    }

    [Fact]
    public async Task StaleConcurrencyStampIsAConcurrencyFailure()
    {
        var user = await _host.CreateUserAsync();
        await using var first = _host.NewScope();
        await using var second = _host.NewScope();
        var a = await first.LoadAsync(user);
        var b = await second.LoadAsync(user);

        a.FirstName = "First";
        Assert.True((await first.Users.UpdateAsync(a)).Succeeded);
        b.FirstName = "Second";
        var stale = await second.Users.UpdateAsync(b);

        Assert.False(stale.Succeeded);
        Assert.Equal("ConcurrencyFailure", Assert.Single(stale.Errors).Code);
        Assert.Equal("First", (await _host.ReloadAsync(user)).FirstName);
    }

    [Fact]
    public async Task UpdateChangesTheConcurrencyStamp()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        var before = loaded.ConcurrencyStamp;

        loaded.LastName = "Byron";
        Assert.True((await scope.Users.UpdateAsync(loaded)).Succeeded);

        var after = await _host.ReloadAsync(user);
        Assert.NotEqual(before, after.ConcurrencyStamp);
        Assert.Equal("Byron", after.LastName);
    }

    [Fact]
    public async Task UpdateNeverWritesBackAStaleFailureCountOrLock()
    {
        var user = await _host.CreateUserAsync();
        await using var stale = _host.NewScope();
        var old = await stale.LoadAsync(user);

        await using (var other = _host.NewScope())
        {
            var fresh = await other.LoadAsync(user);
            await other.Users.RecordFailedPasswordAsync(fresh);
            await other.Users.RecordFailedPasswordAsync(fresh);
        }
        old.FirstName = "Edited";
        Assert.True((await stale.Users.UpdateAsync(old)).Succeeded);

        var now = await _host.ReloadAsync(user);
        Assert.Equal("Edited", now.FirstName);
        Assert.Equal(2, now.AccessFailedCount);
    }

    [Fact]
    public async Task DeleteRemovesTheUserAndItsCodes()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        await scope.Users.GenerateUserTokenAsync(loaded, SmsCodeTokenProvider.ProviderName, CodePurposes.Unlock);

        Assert.True((await scope.Users.DeleteAsync(loaded)).Succeeded);

        Assert.Null(await scope.Users.FindByIdAsync(user.Id));
        Assert.Equal(0, await scope.Db.UserCodes.CountAsync());
    }

    [Fact]
    public async Task PhoneEmailTwoFactorAndStampSettersPersist()
    {
        var user = await _host.CreateUserAsync();
        await using (var scope = _host.NewScope())
        {
            var loaded = await scope.LoadAsync(user);
            var stamp = loaded.SecurityStamp;
            Assert.True((await scope.Users.SetPhoneNumberAsync(loaded, "+16505559876")).Succeeded);
            Assert.True((await scope.Users.SetTwoFactorEnabledAsync(loaded, true)).Succeeded);
            Assert.True((await scope.Users.SetEmailAsync(loaded, "new@example.com")).Succeeded);
            Assert.True((await scope.Users.UpdateSecurityStampAsync(loaded)).Succeeded);
            Assert.NotEqual(stamp, loaded.SecurityStamp);
        }

        var after = await _host.ReloadAsync(user);
        Assert.Equal("+16505559876", after.PhoneNumber);
        Assert.True(after.TwoFactorEnabled);
        Assert.Equal("NEW@EXAMPLE.COM", after.NormalizedEmail);
    }

    [Fact]
    public async Task LockoutStoreMethodsWriteImmediately()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var lockout = (IUserLockoutStore<TwoFactorUser>)scope.Store;
        var loaded = await scope.LoadAsync(user);

        Assert.Equal(1, await lockout.IncrementAccessFailedCountAsync(loaded, default));
        Assert.Equal(2, await lockout.IncrementAccessFailedCountAsync(loaded, default));
        var end = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await lockout.SetLockoutEndDateAsync(loaded, end, default);
        Assert.Equal(2, (await _host.ReloadAsync(user)).AccessFailedCount);
        Assert.Equal(end, await lockout.GetLockoutEndDateAsync(await _host.ReloadAsync(user), default));

        await lockout.SetLockoutEndDateAsync(loaded, null, default);
        await lockout.ResetAccessFailedCountAsync(loaded, default);
        var after = await _host.ReloadAsync(user);
        Assert.Equal(0, after.AccessFailedCount);
        Assert.Null(after.LockoutEnd);
    }

    [Fact]
    public async Task ChangingThePhoneNumberDropsOutstandingCodes()
    {
        var user = await _host.CreateUserAsync();
        await using var scope = _host.NewScope();
        var loaded = await scope.LoadAsync(user);
        await scope.Users.GenerateUserTokenAsync(loaded, SmsCodeTokenProvider.ProviderName, CodePurposes.Unlock);
        Assert.Equal(1, await scope.Db.UserCodes.CountAsync());

        await scope.Users.SetPhoneNumberAsync(loaded, "+16505550001");

        Assert.Equal(0, await scope.Db.UserCodes.CountAsync());
    }

    [Fact]
    public async Task RolesAreKeptByNormalizedNameAndReadFromTheDatabaseEachTime()
    {
        var agent = await _host.CreateUserAsync("agent@example.com");
        var other = await _host.CreateUserAsync("other@example.com");

        await using (var scope = _host.NewScope())
        {
            var loaded = await scope.LoadAsync(agent);
            Assert.True((await scope.Users.AddToRoleAsync(loaded, "Support")).Succeeded);
            // A second grant is refused by the manager (already in role) and leaves one row, not two.
            Assert.False((await scope.Users.AddToRoleAsync(loaded, "support")).Succeeded);
            Assert.Equal(1, await scope.Db.UserRoles.CountAsync());
        }

        await using (var scope = _host.NewScope())
        {
            Assert.True(await scope.Users.IsInRoleAsync(await scope.LoadAsync(agent), "SUPPORT"));
            Assert.False(await scope.Users.IsInRoleAsync(await scope.LoadAsync(other), "Support"));
            Assert.Equal(["SUPPORT"], await scope.Users.GetRolesAsync(await scope.LoadAsync(agent)));
            Assert.Equal([agent.Id], (await scope.Users.GetUsersInRoleAsync("Support")).Select(u => u.Id));
        }

        await using (var scope = _host.NewScope())
        {
            Assert.True((await scope.Users.RemoveFromRoleAsync(await scope.LoadAsync(agent), "Support")).Succeeded);
        }

        await using (var scope = _host.NewScope())
        {
            Assert.False(await scope.Users.IsInRoleAsync(await scope.LoadAsync(agent), "Support"));
            Assert.Empty(await scope.Users.GetUsersInRoleAsync("Support"));
            Assert.Equal(0, await scope.Db.UserRoles.CountAsync());
        }
    }

    public sealed class OnSqlite() : UserStoreTests(DatabaseKind.Sqlite);

    public sealed class OnPostgreSql() : UserStoreTests(DatabaseKind.PostgreSql);
}
