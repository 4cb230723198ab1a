using System.Security.Claims;
using IdentityTwoFactor.Stores;
using IdentityTwoFactor.Tests.Library.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Tests.Library;

/// <summary>The Identity schema a host's context builds: Identity's default (version 1, what an app gets without
/// choosing) or version 3 (passkeys; logins and tokens keyed by an id), chosen with <c>IdentityOptions.Stores.SchemaVersion</c>.</summary>
public enum IdentitySchema
{
    Default,
    Version3,
}

/// <summary>Theory rows for the tests whose subject the schema version changes (logins and tokens are keyed
/// differently; passkeys exist from version 3).</summary>
public static class StoreContractRows
{
    public static TheoryData<DatabaseKind, IdentitySchema> EnginesAndSchemas => new()
    {
        { DatabaseKind.Sqlite, IdentitySchema.Default },
        { DatabaseKind.Sqlite, IdentitySchema.Version3 },
        { DatabaseKind.PostgreSql, IdentitySchema.Default },
        { DatabaseKind.PostgreSql, IdentitySchema.Version3 },
    };
}

/// <summary>The library's stores on Identity's stock user, template style: <see cref="IdentityUser"/>, an
/// IdentityDbContext, no roles, so <see cref="SmsTwoFactorUserOnlyStore{TUser, TContext, TKey}"/>.</summary>
public sealed class StoreContractTestsStockUser(StoreContractHosts<IdentityUser, AppDbContext> hosts)
    : StoreContractTests<IdentityUser, AppDbContext, string>(hosts, withRoles: false), IClassFixture<StoreContractHosts<IdentityUser, AppDbContext>>;

/// <summary>The library's stores on an app's own user with an integer key and roles, so
/// <see cref="SmsTwoFactorUserStore{TUser, TRole, TContext, TKey}"/>; plus the role part of the contract.</summary>
public sealed class StoreContractTestsIntKeyWithRoles(StoreContractHosts<AppUser, IntKeyDbContext> hosts)
    : StoreContractTests<AppUser, IntKeyDbContext, int>(hosts, withRoles: true), IClassFixture<StoreContractHosts<AppUser, IntKeyDbContext>>
{
    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task RolesAddCheckListAndRemove(DatabaseKind engine)
    {
        var host = Host(engine);
        var role = "role-" + Unique();
        var ann = await CreateAsync(host, NewUser());
        var bob = await CreateAsync(host, NewUser());
        await using (var scope = host.Scope())
        {
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<int>>>();
            Ok(await roles.CreateAsync(new IdentityRole<int>(role)));
            Fails(await roles.CreateAsync(new IdentityRole<int>(role.ToUpperInvariant())), nameof(IdentityErrorDescriber.DuplicateRoleName));
            Assert.NotNull(await roles.FindByNameAsync(role.ToUpperInvariant()));

            var users = Users(scope);
            var user = await FindAsync(users, ann);
            Assert.False(await users.IsInRoleAsync(user, role));
            Ok(await users.AddToRoleAsync(user, role));
            Assert.True(await users.IsInRoleAsync(user, role));
            Fails(await users.AddToRoleAsync(user, role), nameof(IdentityErrorDescriber.UserAlreadyInRole));
            await Assert.ThrowsAsync<InvalidOperationException>(() => users.AddToRoleAsync(user, "no-such-role-" + Unique()));
            Ok(await users.AddToRolesAsync(await FindAsync(users, bob), [role, role]));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, ann);
            Assert.True(await users.IsInRoleAsync(user, role.ToUpperInvariant()));
            Assert.Equal([role], await users.GetRolesAsync(user));
            Assert.Equal(new[] { ann, bob }.Order(StringComparer.Ordinal), await IdsAsync(users, await users.GetUsersInRoleAsync(role)));
            Assert.Empty(await users.GetUsersInRoleAsync("no-such-role-" + Unique()));
            Ok(await users.RemoveFromRoleAsync(user, role));
            Assert.False(await users.IsInRoleAsync(user, role));
            Fails(await users.RemoveFromRoleAsync(user, role), nameof(IdentityErrorDescriber.UserNotInRole));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.Empty(await users.GetRolesAsync(await FindAsync(users, ann)));
            Assert.Equal([bob], await IdsAsync(users, await users.GetUsersInRoleAsync(role)));
            // Deleting a user (the library's override) removes the memberships as Identity's store does.
            Ok(await users.DeleteAsync(await FindAsync(users, bob)));
        }
        await using (var scope = host.Scope())
        {
            Assert.Empty(await Users(scope).GetUsersInRoleAsync(role));
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<int>>>();
            var found = Assert.IsType<IdentityRole<int>>(await roles.FindByNameAsync(role));
            Ok(await roles.DeleteAsync(found));
            Assert.Null(await roles.FindByNameAsync(role));
        }
    }

    private static async Task<string[]> IdsAsync(UserManager<AppUser> users, IEnumerable<AppUser> found) =>
        (await Task.WhenAll(found.Select(users.GetUserIdAsync))).Order(StringComparer.Ordinal).ToArray();
}

/// <summary>
/// Identity's user store contract (what Identity's specification tests, <c>UserManagerSpecificationTestBase</c> and
/// <c>IdentitySpecificationTestBase</c>, expect of any store), exercised through <see cref="UserManager{TUser}"/> against
/// the library's stores as <c>AddSmsTwoFactor</c> registers them, on SQLite and PostgreSQL, one scope (one DbContext)
/// per request: everything Identity's EF store does must keep working, plus the two things the library changes (the
/// failure count is atomic, and deleting a user deletes its texted codes). Hosts are shared by the tests of a class
/// (users, claims and roles are unique per test); a test that needs other Identity options gets a host of its own.
/// </summary>
public abstract class StoreContractTests<TUser, TContext, TKey>
    where TUser : IdentityUser<TKey>, new()
    where TContext : DbContext
    where TKey : IEquatable<TKey>
{
    protected const string Password = "Correct horse 1!";

    private readonly StoreContractHosts<TUser, TContext> _hosts;
    private readonly bool _withRoles;

    protected StoreContractTests(StoreContractHosts<TUser, TContext> hosts, bool withRoles)
    {
        _hosts = hosts;
        _withRoles = withRoles;
    }

    [Fact]
    public async Task TheRegisteredStoreIsTheLibrarysSubclassOfIdentitysStoreAndSupportsAllOfIt()
    {
        var host = Host(DatabaseKind.Sqlite, IdentitySchema.Version3);
        await using var scope = host.Scope();
        var store = scope.ServiceProvider.GetRequiredService<IUserStore<TUser>>();
        var (ours, identitys) = _withRoles
            ? (typeof(SmsTwoFactorUserStore<,,,>).MakeGenericType(typeof(TUser), typeof(IdentityRole<TKey>), typeof(TContext), typeof(TKey)),
                typeof(UserStore<,,,>).MakeGenericType(typeof(TUser), typeof(IdentityRole<TKey>), typeof(TContext), typeof(TKey)))
            : (typeof(SmsTwoFactorUserOnlyStore<,,>).MakeGenericType(typeof(TUser), typeof(TContext), typeof(TKey)),
                typeof(UserOnlyStore<,,>).MakeGenericType(typeof(TUser), typeof(TContext), typeof(TKey)));
        Assert.Equal(ours, store.GetType());
        Assert.IsAssignableFrom(identitys, store);
        Assert.IsAssignableFrom<IUserSmsTwoFactorStore<TUser>>(store);

        // Every Identity store interface of Identity's store, and only those plus the library's: each has tests here.
        var expected = new HashSet<Type>
        {
            typeof(IUserStore<TUser>), typeof(IQueryableUserStore<TUser>), typeof(IUserPasswordStore<TUser>),
            typeof(IUserSecurityStampStore<TUser>), typeof(IUserEmailStore<TUser>), typeof(IUserPhoneNumberStore<TUser>),
            typeof(IUserClaimStore<TUser>), typeof(IUserLoginStore<TUser>), typeof(IUserAuthenticationTokenStore<TUser>),
            typeof(IUserAuthenticatorKeyStore<TUser>), typeof(IUserTwoFactorRecoveryCodeStore<TUser>),
            typeof(IUserTwoFactorStore<TUser>), typeof(IUserLockoutStore<TUser>), typeof(IUserPasskeyStore<TUser>),
            typeof(IProtectedUserStore<TUser>),
        };
        if (_withRoles)
        {
            expected.Add(typeof(IUserRoleStore<TUser>));
        }
        bool IsIdentityStore(Type i) => i.Namespace == typeof(IUserStore<>).Namespace && i.Name.EndsWith("Store`1", StringComparison.Ordinal);
        Assert.Equal(expected.Select(t => t.Name).Order(StringComparer.Ordinal), identitys.GetInterfaces().Where(IsIdentityStore).Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(expected.Select(t => t.Name).Order(StringComparer.Ordinal), store.GetType().GetInterfaces().Where(IsIdentityStore).Select(t => t.Name).Order(StringComparer.Ordinal));

        var users = Users(scope);
        Assert.True(users.SupportsQueryableUsers);
        Assert.True(users.SupportsUserPassword);
        Assert.True(users.SupportsUserSecurityStamp);
        Assert.True(users.SupportsUserEmail);
        Assert.True(users.SupportsUserPhoneNumber);
        Assert.True(users.SupportsUserClaim);
        Assert.True(users.SupportsUserLogin);
        Assert.True(users.SupportsUserAuthenticationTokens);
        Assert.True(users.SupportsUserAuthenticatorKey);
        Assert.True(users.SupportsUserTwoFactorRecoveryCodes);
        Assert.True(users.SupportsUserTwoFactor);
        Assert.True(users.SupportsUserLockout);
        Assert.True(users.SupportsUserPasskey);
        Assert.Equal(_withRoles, users.SupportsUserRole);
        if (!_withRoles)
        {
            var id = await CreateAsync(host, NewUser());
            await Assert.ThrowsAsync<NotSupportedException>(async () => await users.GetRolesAsync(await FindAsync(users, id)));
        }
    }

    [Theory]
    [MemberData(nameof(StoreContractRows.EnginesAndSchemas), MemberType = typeof(StoreContractRows))]
    public async Task CreateFindUpdateAndDeleteWithEverythingAttachedIncludingTextedCodes(DatabaseKind engine, IdentitySchema schema)
    {
        var host = Host(engine, schema);
        var created = NewUser(phone: "+16505550100");
        var name = created.UserName!;
        var email = created.Email!;
        var id = await CreateAsync(host, created, Password);
        var bystander = await CreateAsync(host, NewUser());
        var newName = "renamed-" + Unique();
        var claim = new Claim("contract-" + Unique(), "v");
        var login = new UserLoginInfo("Zz", "key-" + Unique(), "Zz Auth");
        var passkey = NewPasskey("Key");

        await using (var scope = host.Scope())
        {
            // The host really builds the schema asked for (EF Core caches models per context type).
            var model = scope.ServiceProvider.GetRequiredService<TContext>().Model;
            Assert.Equal(schema == IdentitySchema.Version3, model.FindEntityType(typeof(IdentityUserPasskey<TKey>)) is not null);
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal(name, user.UserName);
            Assert.Equal(id, await IdOfAsync(users, await users.FindByNameAsync(name.ToUpperInvariant())));
            Assert.Equal(id, await IdOfAsync(users, await users.FindByEmailAsync(email.ToUpperInvariant())));
            Assert.Null(await users.FindByIdAsync("987654321"));
            Assert.Null(await users.FindByNameAsync("nobody-" + Unique()));
            Assert.Null(await users.FindByEmailAsync("nobody-" + Unique() + "@example.com"));

            // An update of the object as loaded, then a rename through the manager.
            user.PhoneNumber = "+16505550101";
            Ok(await users.UpdateAsync(user));
            Ok(await users.SetUserNameAsync(user, newName));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.Null(await users.FindByNameAsync(name));
            var user = Assert.IsType<TUser>(await users.FindByNameAsync(newName));
            Assert.Equal(id, await users.GetUserIdAsync(user));
            Assert.Equal("+16505550101", user.PhoneNumber);

            Ok(await users.AddClaimAsync(user, claim));
            Ok(await users.AddLoginAsync(user, login));
            Ok(await users.SetAuthenticationTokenAsync(user, "Zz", "access_token", "t"));
            await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 3);
            if (schema == IdentitySchema.Version3)
            {
                Ok(await users.AddOrUpdatePasskeyAsync(user, passkey));
            }
            var codes = Codes(scope);
            await codes.ReplaceCodeAsync(user, NewCode("ResetPassword"), CancellationToken.None);
            await codes.ReplaceCodeAsync(user, NewCode("Unlock"), CancellationToken.None);
            await codes.ReplaceCodeAsync(await FindAsync(users, bystander), NewCode("ResetPassword"), CancellationToken.None);
            Assert.NotNull(await codes.FindCodeAsync(user, "ResetPassword", CancellationToken.None));

            Ok(await users.DeleteAsync(user));
            Assert.Null(await codes.FindCodeAsync(user, "ResetPassword", CancellationToken.None));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.Null(await users.FindByIdAsync(id));
            Assert.Null(await users.FindByNameAsync(newName));
            Assert.Null(await users.FindByLoginAsync(login.LoginProvider, login.ProviderKey));
            Assert.Empty(await users.GetUsersForClaimAsync(claim));
            if (schema == IdentitySchema.Version3)
            {
                Assert.Null(await users.FindByPasskeyIdAsync(passkey.CredentialId));
            }
            var context = scope.ServiceProvider.GetRequiredService<TContext>();
            Assert.Empty(await context.Set<SmsCode>().Where(c => c.UserId == id).ToListAsync());
            // Only the deleted user's codes went.
            Assert.NotNull(await Codes(scope).FindCodeAsync(await FindAsync(users, bystander), "ResetPassword", CancellationToken.None));
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task OptimisticConcurrencyStillGuardsUpdatesAndDeletes(DatabaseKind engine)
    {
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser());
        await using var stale = host.Scope();
        var staleUsers = Users(stale);
        var staleUser = await FindAsync(staleUsers, id);
        await Codes(stale).ReplaceCodeAsync(staleUser, NewCode("ResetPassword"), CancellationToken.None);
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            user.PhoneNumber = "+16505550102";
            Ok(await users.UpdateAsync(user));
        }

        staleUser.PhoneNumber = "+16505550103";
        Fails(await staleUsers.UpdateAsync(staleUser), nameof(IdentityErrorDescriber.ConcurrencyFailure));
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal("+16505550102", user.PhoneNumber);
        }

        await using var stale2 = host.Scope();
        var staleUsers2 = Users(stale2);
        var staleUser2 = await FindAsync(staleUsers2, id);
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Ok(await users.UpdateSecurityStampAsync(await FindAsync(users, id)));
        }
        // A delete that loses the race deletes nothing: neither the user nor its codes.
        Fails(await staleUsers2.DeleteAsync(staleUser2), nameof(IdentityErrorDescriber.ConcurrencyFailure));
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.NotNull(await Codes(scope).FindCodeAsync(user, "ResetPassword", CancellationToken.None));
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task DuplicateUserNamesAreRefused(DatabaseKind engine)
    {
        var host = Host(engine);
        var first = NewUser();
        await CreateAsync(host, first);
        await using var scope = host.Scope();
        var users = Users(scope);
        var twin = NewUser();
        twin.UserName = first.UserName!.ToUpperInvariant();
        Fails(await users.CreateAsync(twin, Password), nameof(IdentityErrorDescriber.DuplicateUserName));
        var other = NewUser();
        Ok(await users.CreateAsync(other));
        Fails(await users.SetUserNameAsync(other, first.UserName), nameof(IdentityErrorDescriber.DuplicateUserName));
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task DuplicateEmailsAreAllowedByDefault(DatabaseKind engine)
    {
        var host = Host(engine);
        var email = "shared-" + Unique() + "@example.com";
        var a = await CreateAsync(host, NewUser(email));
        var b = await CreateAsync(host, NewUser(email.ToUpperInvariant()));
        var c = await CreateAsync(host, NewUser());
        await using var scope = host.Scope();
        var users = Users(scope);
        Ok(await users.SetEmailAsync(await FindAsync(users, c), email));
        foreach (var id in new[] { a, b, c })
        {
            Assert.Equal(email.ToUpperInvariant(), (await FindAsync(users, id)).NormalizedEmail);
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task DuplicateEmailsAreRefusedWhenUniqueEmailIsRequired(DatabaseKind engine)
    {
        await using var host = _hosts.NewHost(engine, _withRoles, o => o.User.RequireUniqueEmail = true);
        var email = "unique-" + Unique() + "@example.com";
        await CreateAsync(host, NewUser(email));
        await using var scope = host.Scope();
        var users = Users(scope);
        Fails(await users.CreateAsync(NewUser(email.ToUpperInvariant())), nameof(IdentityErrorDescriber.DuplicateEmail));
        var other = NewUser();
        Ok(await users.CreateAsync(other));
        Fails(await users.SetEmailAsync(other, email), nameof(IdentityErrorDescriber.DuplicateEmail));
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task QueryableUsers(DatabaseKind engine)
    {
        var host = Host(engine);
        var prefix = "q" + Unique();
        for (var i = 0; i < 3; i++)
        {
            var user = NewUser();
            user.UserName = prefix + i;
            await CreateAsync(host, user);
        }
        await using var scope = host.Scope();
        var users = Users(scope);
        Assert.Equal(3, await users.Users.CountAsync(u => u.UserName!.StartsWith(prefix)));
        Assert.Null(await users.Users.FirstOrDefaultAsync(u => u.UserName == "bogus-" + prefix));
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task PasswordsAddCheckChangeResetAndRemove(DatabaseKind engine)
    {
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser(), password: null);
        const string second = "Second horse 2!";
        const string third = "Third horse 3!";
        string resetToken;
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.False(await users.HasPasswordAsync(user));
            Assert.False(await users.CheckPasswordAsync(user, Password));
            var stamp = await users.GetSecurityStampAsync(user);
            Ok(await users.AddPasswordAsync(user, Password));
            Assert.NotEqual(stamp, await users.GetSecurityStampAsync(user));
            Fails(await users.AddPasswordAsync(user, second), nameof(IdentityErrorDescriber.UserAlreadyHasPassword));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.True(await users.HasPasswordAsync(user));
            Assert.True(await users.CheckPasswordAsync(user, Password));
            Assert.False(await users.CheckPasswordAsync(user, second));
            Fails(await users.ChangePasswordAsync(user, second, third), nameof(IdentityErrorDescriber.PasswordMismatch));
            var stamp = await users.GetSecurityStampAsync(user);
            Ok(await users.ChangePasswordAsync(user, Password, second));
            Assert.NotEqual(stamp, await users.GetSecurityStampAsync(user));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.False(await users.CheckPasswordAsync(user, Password));
            Assert.True(await users.CheckPasswordAsync(user, second));
            resetToken = await users.GeneratePasswordResetTokenAsync(user);
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Fails(await users.ResetPasswordAsync(user, "bogus", third), nameof(IdentityErrorDescriber.InvalidToken));
            Ok(await users.ResetPasswordAsync(user, resetToken, third));
            // The token is bound to the old security stamp: used once.
            Fails(await users.ResetPasswordAsync(user, resetToken, Password), nameof(IdentityErrorDescriber.InvalidToken));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.True(await users.CheckPasswordAsync(user, third));
            var stamp = await users.GetSecurityStampAsync(user);
            Ok(await users.RemovePasswordAsync(user));
            Assert.False(await users.HasPasswordAsync(user));
            Assert.NotEqual(stamp, await users.GetSecurityStampAsync(user));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.False(await users.HasPasswordAsync(user));
            Assert.False(await users.CheckPasswordAsync(user, third));
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task SecurityStampChangesWithEverySecurityChangeAndIsStored(DatabaseKind engine)
    {
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser());
        var changes = new (string What, Func<UserManager<TUser>, TUser, Task<IdentityResult>> Change)[]
        {
            ("UpdateSecurityStampAsync", (m, u) => m.UpdateSecurityStampAsync(u)),
            ("SetUserNameAsync", (m, u) => m.SetUserNameAsync(u, "stamp-" + Unique())),
            ("SetEmailAsync", (m, u) => m.SetEmailAsync(u, "stamp-" + Unique() + "@example.com")),
            ("SetPhoneNumberAsync", (m, u) => m.SetPhoneNumberAsync(u, "+16505550104")),
            ("SetTwoFactorEnabledAsync", (m, u) => m.SetTwoFactorEnabledAsync(u, true)),
            ("ResetAuthenticatorKeyAsync", (m, u) => m.ResetAuthenticatorKeyAsync(u)),
        };
        foreach (var (what, change) in changes)
        {
            string after;
            string before;
            await using (var scope = host.Scope())
            {
                var users = Users(scope);
                var user = await FindAsync(users, id);
                before = await users.GetSecurityStampAsync(user);
                Ok(await change(users, user));
                after = await users.GetSecurityStampAsync(user);
            }
            Assert.True(before != after, what + " kept the security stamp");
            await using (var scope = host.Scope())
            {
                var users = Users(scope);
                Assert.Equal(after, await users.GetSecurityStampAsync(await FindAsync(users, id)));
            }
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task EmailConfirmationAndChangeWithIdentitysTokens(DatabaseKind engine)
    {
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser(), Password);
        var newEmail = "new-" + Unique() + "@example.com";
        string token;
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.False(await users.IsEmailConfirmedAsync(user));
            // A token made before a password change is refused after it (the security stamp changed).
            var early = await users.GenerateEmailConfirmationTokenAsync(user);
            Ok(await users.ChangePasswordAsync(user, Password, "Second horse 2!"));
            Fails(await users.ConfirmEmailAsync(user, early), nameof(IdentityErrorDescriber.InvalidToken));
            token = await users.GenerateEmailConfirmationTokenAsync(user);
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Fails(await users.ConfirmEmailAsync(user, "bogus"), nameof(IdentityErrorDescriber.InvalidToken));
            Assert.False(await users.IsEmailConfirmedAsync(user));
            Ok(await users.ConfirmEmailAsync(user, token));
        }
        string stamp;
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.True(await users.IsEmailConfirmedAsync(user));
            stamp = await users.GetSecurityStampAsync(user);
            token = await users.GenerateChangeEmailTokenAsync(user, newEmail);
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Fails(await users.ChangeEmailAsync(user, "other-" + Unique() + "@example.com", token), nameof(IdentityErrorDescriber.InvalidToken));
            Ok(await users.ChangeEmailAsync(user, newEmail, token));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal(newEmail, await users.GetEmailAsync(user));
            Assert.True(await users.IsEmailConfirmedAsync(user));
            Assert.NotEqual(stamp, await users.GetSecurityStampAsync(user));
            Assert.Equal(id, await IdOfAsync(users, await users.FindByEmailAsync(newEmail)));
            Ok(await users.SetEmailAsync(user, "another-" + Unique() + "@example.com"));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.False(await users.IsEmailConfirmedAsync(await FindAsync(users, id)));
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task PhoneNumberChangeAndConfirmationWithIdentitysTokens(DatabaseKind engine)
    {
        const string number = "+16505550105";
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser(phone: "+16505550100"));
        string token;
        string stamp;
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.False(await users.IsPhoneNumberConfirmedAsync(user));
            stamp = await users.GetSecurityStampAsync(user);
            token = await users.GenerateChangePhoneNumberTokenAsync(user, number);
            Assert.True(await users.VerifyChangePhoneNumberTokenAsync(user, token, number));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Fails(await users.ChangePhoneNumberAsync(user, number, "bogus"), nameof(IdentityErrorDescriber.InvalidToken));
            Fails(await users.ChangePhoneNumberAsync(user, "+16505550106", token), nameof(IdentityErrorDescriber.InvalidToken));
            Assert.Equal(stamp, await users.GetSecurityStampAsync(user));
            Ok(await users.ChangePhoneNumberAsync(user, number, token));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal(number, await users.GetPhoneNumberAsync(user));
            Assert.True(await users.IsPhoneNumberConfirmedAsync(user));
            Assert.NotEqual(stamp, await users.GetSecurityStampAsync(user));
            Ok(await users.SetPhoneNumberAsync(user, "+16505550107"));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal("+16505550107", await users.GetPhoneNumberAsync(user));
            Assert.False(await users.IsPhoneNumberConfirmedAsync(user));
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task ClaimsAddReplaceRemoveAndFindUsers(DatabaseKind engine)
    {
        var host = Host(engine);
        var type = "contract-" + Unique();
        Claim[] claims = [new(type, "v1"), new(type + "-2", "v2"), new(type + "-2", "v3")];
        var ann = await CreateAsync(host, NewUser());
        var bob = await CreateAsync(host, NewUser());
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Ok(await users.AddClaimsAsync(await FindAsync(users, ann), claims));
            var user = await FindAsync(users, bob);
            foreach (var claim in claims)
            {
                Ok(await users.AddClaimAsync(user, claim));
            }
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, ann);
            Assert.Equal(3, (await users.GetClaimsAsync(user)).Count);
            Assert.Equal(2, (await users.GetUsersForClaimAsync(claims[0])).Count);
            Ok(await users.RemoveClaimAsync(user, claims[0]));
            Ok(await users.ReplaceClaimAsync(user, claims[1], new Claim(type + "-2", "v9")));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, ann);
            Assert.Equal(["v3", "v9"], (await users.GetClaimsAsync(user)).Select(c => c.Value).Order(StringComparer.Ordinal));
            Assert.Equal(["v1", "v2", "v3"], (await users.GetClaimsAsync(await FindAsync(users, bob))).Select(c => c.Value).Order(StringComparer.Ordinal));
            Assert.Equal([bob], await Task.WhenAll((await users.GetUsersForClaimAsync(claims[0])).Select(users.GetUserIdAsync)));
            Assert.Equal([ann], await Task.WhenAll((await users.GetUsersForClaimAsync(new Claim(type + "-2", "v9"))).Select(users.GetUserIdAsync)));
            Assert.Empty(await users.GetUsersForClaimAsync(new Claim(type, "nothing")));
            Ok(await users.RemoveClaimsAsync(user, await users.GetClaimsAsync(user)));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.Empty(await users.GetClaimsAsync(await FindAsync(users, ann)));
            Assert.Equal(3, (await users.GetClaimsAsync(await FindAsync(users, bob))).Count);
        }
    }

    [Theory]
    [MemberData(nameof(StoreContractRows.EnginesAndSchemas), MemberType = typeof(StoreContractRows))]
    public async Task ExternalLoginsAddFindAndRemove(DatabaseKind engine, IdentitySchema schema)
    {
        var host = Host(engine, schema);
        var id = await CreateAsync(host, NewUser());
        var other = await CreateAsync(host, NewUser());
        var login = new UserLoginInfo("Zz", "key-" + Unique(), "Zz Auth");
        var second = new UserLoginInfo("Yy", "key-" + Unique(), "Yy Auth");
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Empty(await users.GetLoginsAsync(user));
            Ok(await users.AddLoginAsync(user, login));
            Fails(await users.AddLoginAsync(user, login), nameof(IdentityErrorDescriber.LoginAlreadyAssociated));
            Fails(await users.AddLoginAsync(await FindAsync(users, other), login), nameof(IdentityErrorDescriber.LoginAlreadyAssociated));
            Ok(await users.AddLoginAsync(user, second));
        }
        string stamp;
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.Equal(id, await IdOfAsync(users, await users.FindByLoginAsync(login.LoginProvider, login.ProviderKey)));
            var user = await FindAsync(users, id);
            var logins = await users.GetLoginsAsync(user);
            Assert.Equal(2, logins.Count);
            var found = Assert.Single(logins, l => l.LoginProvider == "Zz");
            Assert.Equal((login.ProviderKey, login.ProviderDisplayName), (found.ProviderKey, found.ProviderDisplayName));
            stamp = await users.GetSecurityStampAsync(user);
            Ok(await users.RemoveLoginAsync(user, login.LoginProvider, login.ProviderKey));
            Assert.NotEqual(stamp, await users.GetSecurityStampAsync(user));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.Null(await users.FindByLoginAsync(login.LoginProvider, login.ProviderKey));
            Assert.Equal(id, await IdOfAsync(users, await users.FindByLoginAsync(second.LoginProvider, second.ProviderKey)));
            var user = await FindAsync(users, id);
            Assert.Equal("Yy", Assert.Single(await users.GetLoginsAsync(user)).LoginProvider);
            Assert.NotEqual(stamp, await users.GetSecurityStampAsync(user));
        }
    }

    [Theory]
    [MemberData(nameof(StoreContractRows.EnginesAndSchemas), MemberType = typeof(StoreContractRows))]
    public async Task AuthenticationTokensSetGetAndRemove(DatabaseKind engine, IdentitySchema schema)
    {
        var host = Host(engine, schema);
        var id = await CreateAsync(host, NewUser());
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Null(await users.GetAuthenticationTokenAsync(user, "Zz", "access_token"));
            Ok(await users.SetAuthenticationTokenAsync(user, "Zz", "access_token", "v1"));
            Ok(await users.SetAuthenticationTokenAsync(user, "Zz", "refresh_token", "r1"));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal("v1", await users.GetAuthenticationTokenAsync(user, "Zz", "access_token"));
            Ok(await users.SetAuthenticationTokenAsync(user, "Zz", "access_token", "v2"));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal("v2", await users.GetAuthenticationTokenAsync(user, "Zz", "access_token"));
            Ok(await users.RemoveAuthenticationTokenAsync(user, "Other", "access_token"));
            Assert.Equal("v2", await users.GetAuthenticationTokenAsync(user, "Zz", "access_token"));
            Ok(await users.RemoveAuthenticationTokenAsync(user, "Zz", "access_token"));
            Assert.Null(await users.GetAuthenticationTokenAsync(user, "Zz", "access_token"));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Null(await users.GetAuthenticationTokenAsync(user, "Zz", "access_token"));
            Assert.Equal("r1", await users.GetAuthenticationTokenAsync(user, "Zz", "refresh_token"));
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task AuthenticatorKeyAndRecoveryCodes(DatabaseKind engine)
    {
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser());
        string key;
        string[] codes;
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Null(await users.GetAuthenticatorKeyAsync(user));
            Assert.Equal(0, await users.CountRecoveryCodesAsync(user));
            var stamp = await users.GetSecurityStampAsync(user);
            Ok(await users.ResetAuthenticatorKeyAsync(user));
            key = Assert.IsType<string>(await users.GetAuthenticatorKeyAsync(user));
            Assert.NotEqual(stamp, await users.GetSecurityStampAsync(user));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal(key, await users.GetAuthenticatorKeyAsync(user));
            Ok(await users.ResetAuthenticatorKeyAsync(user));
            Assert.NotEqual(key, await users.GetAuthenticatorKeyAsync(user));
            key = (await users.GetAuthenticatorKeyAsync(user))!;
            codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10) ?? []).ToArray();
            Assert.Equal(10, codes.Distinct().Count());
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal(key, await users.GetAuthenticatorKeyAsync(user));
            Assert.Equal(10, await users.CountRecoveryCodesAsync(user));
            Ok(await users.RedeemTwoFactorRecoveryCodeAsync(user, codes[0]));
            Assert.False((await users.RedeemTwoFactorRecoveryCodeAsync(user, codes[0])).Succeeded);
            Assert.False((await users.RedeemTwoFactorRecoveryCodeAsync(user, "bogus")).Succeeded);
            Assert.Equal(9, await users.CountRecoveryCodesAsync(user));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal(9, await users.CountRecoveryCodesAsync(user));
            Assert.False((await users.RedeemTwoFactorRecoveryCodeAsync(user, codes[0])).Succeeded);
            Ok(await users.RedeemTwoFactorRecoveryCodeAsync(user, codes[1]));
            // New codes replace the old ones.
            var fresh = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 5) ?? []).ToArray();
            Assert.False((await users.RedeemTwoFactorRecoveryCodeAsync(user, codes[2])).Succeeded);
            Ok(await users.RedeemTwoFactorRecoveryCodeAsync(user, fresh[0]));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.Equal(4, await users.CountRecoveryCodesAsync(await FindAsync(users, id)));
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task TwoFactorEnabled(DatabaseKind engine)
    {
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser());
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.False(await users.GetTwoFactorEnabledAsync(user));
            Ok(await users.SetTwoFactorEnabledAsync(user, true));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.True(await users.GetTwoFactorEnabledAsync(user));
            Ok(await users.SetTwoFactorEnabledAsync(user, false));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.False(await users.GetTwoFactorEnabledAsync(await FindAsync(users, id)));
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task LockoutCountsLocksResetsAndSetsTheEnd(DatabaseKind engine)
    {
        // The shared hosts lock after 3 failures (LibraryHost), for Identity's default 5 minutes.
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser());
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.True(await users.GetLockoutEnabledAsync(user));
            Assert.False(await users.IsLockedOutAsync(user));
            Assert.Null(await users.GetLockoutEndDateAsync(user));
            Ok(await users.AccessFailedAsync(user));
            Assert.Equal(1, await users.GetAccessFailedCountAsync(user));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal(1, await users.GetAccessFailedCountAsync(user));
            Ok(await users.AccessFailedAsync(user));
            Assert.Equal(2, await users.GetAccessFailedCountAsync(user));
            Assert.False(await users.IsLockedOutAsync(user));
        }
        DateTimeOffset end;
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            var before = DateTimeOffset.UtcNow;
            Ok(await users.AccessFailedAsync(user));
            Assert.True(await users.IsLockedOutAsync(user));
            end = Assert.IsType<DateTimeOffset>(await users.GetLockoutEndDateAsync(user));
            Assert.InRange(end, before.AddMinutes(5), DateTimeOffset.UtcNow.AddMinutes(5));
            Assert.Equal(0, await users.GetAccessFailedCountAsync(user));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.True(await users.IsLockedOutAsync(user));
            AssertNear(end, await users.GetLockoutEndDateAsync(user));
            Assert.Equal(0, await users.GetAccessFailedCountAsync(user));
            Ok(await users.SetLockoutEndDateAsync(user, null));
            Assert.False(await users.IsLockedOutAsync(user));
            Ok(await users.AccessFailedAsync(user));
            Ok(await users.ResetAccessFailedCountAsync(user));
            Assert.Equal(0, await users.GetAccessFailedCountAsync(user));
        }
        var later = DateTimeOffset.UtcNow.AddMinutes(30);
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.False(await users.IsLockedOutAsync(user));
            Assert.Null(await users.GetLockoutEndDateAsync(user));
            Assert.Equal(0, await users.GetAccessFailedCountAsync(user));
            Ok(await users.SetLockoutEndDateAsync(user, later));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.True(await users.IsLockedOutAsync(user));
            AssertNear(later, await users.GetLockoutEndDateAsync(user));
            Ok(await users.SetLockoutEndDateAsync(user, DateTimeOffset.UtcNow.AddSeconds(-1)));
            Assert.False(await users.IsLockedOutAsync(user));
            Ok(await users.SetLockoutEnabledAsync(user, false));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.False(await users.GetLockoutEnabledAsync(user));
            Fails(await users.SetLockoutEndDateAsync(user, DateTimeOffset.UtcNow.AddHours(1)), nameof(IdentityErrorDescriber.UserLockoutNotEnabled));
            Assert.False(await users.IsLockedOutAsync(user));
        }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task ParallelFailuresAreAllCounted(DatabaseKind engine)
    {
        const int parallel = 20;
        await using var host = _hosts.NewHost(engine, _withRoles, o => o.Lockout.MaxFailedAccessAttempts = 100);
        var id = await CreateAsync(host, NewUser());
        // All twenty requests load the user first, then all count a failure at once.
        var loaded = 0;
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            // Each request has its own scope, so its own DbContext and its own copy of the user.
            await using var scope = host.Scope();
            var users = Users(scope);
            var user = await FindAsync(users, id);
            if (Interlocked.Increment(ref loaded) == parallel)
            {
                go.SetResult();
            }
            await go.Task;
            return await users.AccessFailedAsync(user);
        })).ToArray();
        // What each call returns is not the point: UserManager.AccessFailedAsync ends with an UpdateAsync of its copy,
        // which reports ConcurrencyFailure when another request changed the row in between (as with Identity's store).
        // Every failure must be counted in the database all the same.
        await Task.WhenAll(attempts);

        await using var check = host.Scope();
        var checkUsers = Users(check);
        var stored = await FindAsync(checkUsers, id);
        Assert.Equal(parallel, await checkUsers.GetAccessFailedCountAsync(stored));
        Assert.False(await checkUsers.IsLockedOutAsync(stored));
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task ParallelNewCodesForOnePurposeAllSucceedAndLeaveOneLiveCode(DatabaseKind engine)
    {
        // Two resends of one form at once: each deletes the old code and inserts its own. On PostgreSQL both deletes can
        // see nothing to delete and both inserts meet at the unique (user, purpose) index; the loser must try again, not
        // turn a double click into an error page.
        const int parallel = 12;
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser());
        var ready = 0;
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var issued = Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            await using var scope = host.Scope();
            var user = await FindAsync(Users(scope), id);
            var code = NewCode("ResetPassword");
            if (Interlocked.Increment(ref ready) == parallel)
            {
                go.SetResult();
            }
            await go.Task;
            await Codes(scope).ReplaceCodeAsync(user, code, CancellationToken.None);
            return code.Id;
        })).ToArray();
        var ids = await Task.WhenAll(issued);

        await using var check = host.Scope();
        var live = await Codes(check).FindCodeAsync(await FindAsync(Users(check), id), "ResetPassword", CancellationToken.None);
        Assert.NotNull(live);
        Assert.Contains(live.Id, ids);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task AnUpdateAfterAFailureInTheSameScopeSucceedsAndKeepsTheCount(DatabaseKind engine)
    {
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser());
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Ok(await users.AccessFailedAsync(user));
            Ok(await users.AccessFailedAsync(user));
            user.PhoneNumber = "+16505550108";
            Ok(await users.UpdateAsync(user));
            Ok(await users.SetTwoFactorEnabledAsync(user, true));
        }

        await using var check = host.Scope();
        var stored = await FindAsync(Users(check), id);
        Assert.Equal(2, stored.AccessFailedCount);
        Assert.Equal("+16505550108", stored.PhoneNumber);
        Assert.True(stored.TwoFactorEnabled);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task AFailureCountedOnACopyBehindAnotherRequestsFailureIsCountedButTheCopyStaysStale(DatabaseKind engine)
    {
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser());
        await using var scope = host.Scope();
        var users = Users(scope);
        var user = await FindAsync(users, id);

        // Meanwhile another request counts a failure: this scope's copy of the user is now behind the database.
        await using (var other = host.Scope())
        {
            var otherUsers = Users(other);
            Ok(await otherUsers.AccessFailedAsync(await FindAsync(otherUsers, id)));
        }

        // Counted in the database all the same; the copy itself stays stale, as with Identity's store, so its UpdateAsync
        // reports ConcurrencyFailure instead of writing its other columns back.
        var result = await users.AccessFailedAsync(user);
        Assert.Contains(result.Errors, e => e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure));
        Assert.Equal(2, await users.GetAccessFailedCountAsync(user));
        user.PhoneNumber = "+16505550108";
        Assert.Contains((await users.UpdateAsync(user)).Errors, e => e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure));

        await using var check = host.Scope();
        var stored = await FindAsync(Users(check), id);
        Assert.Equal(2, stored.AccessFailedCount);
        Assert.Null(stored.PhoneNumber);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task AFailureCountedOnAStaleCopyDoesNotUndoAnotherRequestsChanges(DatabaseKind engine)
    {
        const string newPassword = "Second horse 2!";
        var host = Host(engine);
        var id = await CreateAsync(host, NewUser(phone: "+16505550100"), Password);
        await using var scope = host.Scope();
        var users = Users(scope);
        var user = await FindAsync(users, id);

        // Another request changes the password and the number after this one loaded the user.
        string stamp;
        await using (var other = host.Scope())
        {
            var otherUsers = Users(other);
            var fresh = await FindAsync(otherUsers, id);
            Ok(await otherUsers.ChangePasswordAsync(fresh, Password, newPassword));
            Ok(await otherUsers.SetPhoneNumberAsync(fresh, "+16505550109"));
            stamp = await otherUsers.GetSecurityStampAsync(fresh);
        }

        // Identity's own store answers ConcurrencyFailure here and writes nothing (its copy's ConcurrencyStamp is old).
        // Whatever the answer, the other request's changes must stay: the old password must not come back.
        var result = await users.AccessFailedAsync(user);

        await using var check = host.Scope();
        var checkUsers = Users(check);
        var stored = await FindAsync(checkUsers, id);
        Assert.True(await checkUsers.CheckPasswordAsync(stored, newPassword),
            $"the password changed by another request was undone (AccessFailedAsync: {(result.Succeeded ? "Succeeded" : string.Join(",", result.Errors.Select(e => e.Code)))})");
        Assert.Equal("+16505550109", stored.PhoneNumber);
        Assert.Equal(stamp, stored.SecurityStamp);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task PasskeysAddUpdateFindAndRemove(DatabaseKind engine)
    {
        var host = Host(engine, IdentitySchema.Version3);
        var id = await CreateAsync(host, NewUser());
        var other = await CreateAsync(host, NewUser());
        var first = NewPasskey("First");
        var second = NewPasskey("Second");
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            Assert.True(users.SupportsUserPasskey);
            var user = await FindAsync(users, id);
            Assert.Empty(await users.GetPasskeysAsync(user));
            Ok(await users.AddOrUpdatePasskeyAsync(user, first));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            var stored = Assert.IsType<UserPasskeyInfo>(await users.GetPasskeyAsync(user, first.CredentialId));
            Assert.Equal(("First", 0u), (stored.Name, stored.SignCount));
            Assert.Equal(first.PublicKey, stored.PublicKey);
            Assert.Equal(first.Transports, stored.Transports);
            Assert.Equal("First", Assert.Single(await users.GetPasskeysAsync(user)).Name);
            Assert.Equal(id, await IdOfAsync(users, await users.FindByPasskeyIdAsync(first.CredentialId)));
            Assert.Null(await users.GetPasskeyAsync(await FindAsync(users, other), first.CredentialId));

            first.Name = "Renamed";
            first.SignCount = 7;
            first.IsBackedUp = true;
            Ok(await users.AddOrUpdatePasskeyAsync(user, first));
            Ok(await users.AddOrUpdatePasskeyAsync(user, second));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            var stored = Assert.IsType<UserPasskeyInfo>(await users.GetPasskeyAsync(user, first.CredentialId));
            Assert.Equal(("Renamed", 7u, true), (stored.Name, stored.SignCount, stored.IsBackedUp));
            Assert.Equal(["Renamed", "Second"], (await users.GetPasskeysAsync(user)).Select(p => p.Name).Order(StringComparer.Ordinal));
            Ok(await users.RemovePasskeyAsync(user, first.CredentialId));
            Ok(await users.RemovePasskeyAsync(user, first.CredentialId));
        }
        await using (var scope = host.Scope())
        {
            var users = Users(scope);
            var user = await FindAsync(users, id);
            Assert.Equal("Second", Assert.Single(await users.GetPasskeysAsync(user)).Name);
            Assert.Null(await users.FindByPasskeyIdAsync(first.CredentialId));
        }
    }

    protected LibraryHost<TUser, TContext> Host(DatabaseKind engine, IdentitySchema schema = IdentitySchema.Default) =>
        _hosts.Get(engine, schema, _withRoles);

    protected static string Unique() => Guid.NewGuid().ToString("N")[..12];

    protected static TUser NewUser(string? email = null, string? phone = null)
    {
        var name = "u" + Unique();
        return new TUser { UserName = name, Email = email ?? name + "@example.com", PhoneNumber = phone };
    }

    protected static UserManager<TUser> Users(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<UserManager<TUser>>();

    protected static IUserSmsTwoFactorStore<TUser> Codes(AsyncServiceScope scope) =>
        (IUserSmsTwoFactorStore<TUser>)scope.ServiceProvider.GetRequiredService<IUserStore<TUser>>();

    protected static async Task<string> CreateAsync(LibraryHost<TUser, TContext> host, TUser user, string? password = null)
    {
        await using var scope = host.Scope();
        var users = Users(scope);
        Ok(password is null ? await users.CreateAsync(user) : await users.CreateAsync(user, password));
        return await users.GetUserIdAsync(user);
    }

    protected static async Task<TUser> FindAsync(UserManager<TUser> users, string id) =>
        await users.FindByIdAsync(id) ?? throw new Xunit.Sdk.XunitException($"No user {id}.");

    protected static async Task<string?> IdOfAsync(UserManager<TUser> users, TUser? user) =>
        user is null ? null : await users.GetUserIdAsync(user);

    protected static void Ok(IdentityResult result) =>
        Assert.True(result.Succeeded, string.Join(", ", result.Errors.Select(e => e.Code + ": " + e.Description)));

    protected static void Fails(IdentityResult result, string code)
    {
        Assert.False(result.Succeeded, "expected " + code);
        Assert.Contains(code, result.Errors.Select(e => e.Code));
    }

    private static void AssertNear(DateTimeOffset expected, DateTimeOffset? actual)
    {
        // PostgreSQL keeps microseconds.
        var value = Assert.IsType<DateTimeOffset>(actual);
        Assert.InRange(value, expected.AddMilliseconds(-1), expected.AddMilliseconds(1));
    }

    private static SmsCode NewCode(string purpose) => new()
    {
        Id = Guid.NewGuid(),
        Purpose = purpose,
        CodeHash = new byte[32],
        CreatedUtc = DateTime.UtcNow,
        ExpiresUtc = DateTime.UtcNow.AddMinutes(10),
    };

    private static UserPasskeyInfo NewPasskey(string name) =>
        new(Guid.NewGuid().ToByteArray(), publicKey: [1, 2, 3], DateTimeOffset.UtcNow, signCount: 0, transports: ["usb"],
            isUserVerified: true, isBackupEligible: true, isBackedUp: false, attestationObject: [4], clientDataJson: [5])
        {
            Name = name,
        };
}

/// <summary>The hosts a test class shares, one per engine and schema, made on first use; and hosts of its own for a
/// test that needs other Identity options. Each is set up as an app would for Identity's full contract: Identity's
/// default token providers (which need Data Protection) and the library's <c>AddSmsTwoFactor</c>.</summary>
public sealed class StoreContractHosts<TUser, TContext> : IAsyncLifetime
    where TUser : class
    where TContext : DbContext
{
    private readonly Dictionary<(DatabaseKind, IdentitySchema, bool), LibraryHost<TUser, TContext>> _hosts = [];
    private readonly Lock _lock = new();

    public LibraryHost<TUser, TContext> Get(DatabaseKind engine, IdentitySchema schema, bool withRoles)
    {
        lock (_lock)
        {
            if (!_hosts.TryGetValue((engine, schema, withRoles), out var host))
            {
                host = Create(engine, schema, withRoles, null);
                _hosts.Add((engine, schema, withRoles), host);
            }
            return host;
        }
    }

    /// <summary>A host of the caller's own (to dispose), with other Identity options.</summary>
    public LibraryHost<TUser, TContext> NewHost(DatabaseKind engine, bool withRoles, Action<IdentityOptions> identity) =>
        Create(engine, IdentitySchema.Default, withRoles, identity);

    private static LibraryHost<TUser, TContext> Create(DatabaseKind engine, IdentitySchema schema, bool withRoles, Action<IdentityOptions>? identity) =>
        new(engine,
            identity: o =>
            {
                if (schema == IdentitySchema.Version3)
                {
                    o.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
                }
                identity?.Invoke(o);
            },
            withRoles: withRoles,
            services: s =>
            {
                s.AddDataProtection().UseEphemeralDataProtectionProvider();
                // Hashing is not what is tested here: fewer rounds keep the class fast.
                s.Configure<PasswordHasherOptions>(o => o.IterationCount = 1_000);
                // EF Core caches a model per context type; the schema version changes the model.
                s.ConfigureDbContext<TContext>(o => o.ReplaceService<IModelCacheKeyFactory, SchemaVersionModelCacheKeyFactory>());
            },
            identityBuilder: b => b.AddDefaultTokenProviders());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts.Values)
        {
            await host.DisposeAsync();
        }
    }
}

/// <summary>Keys EF Core's model cache by the context type and Identity's schema version, so contexts of one type
/// built for different schema versions in one process each get their own model.</summary>
public sealed class SchemaVersionModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        (context.GetType(), SchemaVersion(context), designTime);

    private static Version? SchemaVersion(DbContext context) =>
        context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.ApplicationServiceProvider
            ?.GetService<IOptions<IdentityOptions>>()?.Value.Stores.SchemaVersion;
}
