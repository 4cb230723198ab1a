using IdentityTwoFactor.Lockout;
using IdentityTwoFactor.Tests.Library.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Library;

/// <summary>The lockout rule of the opt-in sign-in manager on Identity's stock <see cref="IdentityUser"/> and an
/// IdentityDbContext, on both engines: limits from Identity's options, counted atomically, the unlock code texted once.</summary>
public sealed class LockoutTests
{
    private const string Password = "Correct horse 1!";
    private const string Phone = "+16505550123";

    private static LibraryHost<IdentityUser, AppDbContext> Host(DatabaseKind engine, Action<SmsTwoFactorOptions>? configure = null) =>
        new(engine, o =>
        {
            o.UseSignInManager = true;
            configure?.Invoke(o);
        }, services: s => s.AddAuthentication());

    private static async Task<IdentityUser> CreateUserAsync(LibraryHost<IdentityUser, AppDbContext> host, string email = "ann@example.com")
    {
        await using var scope = host.Scope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = new IdentityUser { UserName = email, Email = email, PhoneNumber = Phone, PhoneNumberConfirmed = true };
        var created = await users.CreateAsync(user, Password);
        Assert.True(created.Succeeded, string.Join(", ", created.Errors.Select(e => e.Description)));
        return user;
    }

    private static async Task<SignInResult> CheckAsync(LibraryHost<IdentityUser, AppDbContext> host, string email, string password)
    {
        await using var scope = host.Scope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>();
        var user = await users.FindByEmailAsync(email) ?? throw new InvalidOperationException("no user");
        // lockoutOnFailure: false, as the stock UI's login page passes it: the library's manager counts anyway.
        return await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: false);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task ThreeWrongPasswordsLockAndTextOneUnlockCodeThatUnlocks(DatabaseKind engine)
    {
        await using var host = Host(engine);
        var user = await CreateUserAsync(host);

        Assert.Equal(SignInResult.Failed, await CheckAsync(host, "ann@example.com", "wrong 1"));
        Assert.Equal(SignInResult.Failed, await CheckAsync(host, "ann@example.com", "wrong 2"));
        Assert.True((await CheckAsync(host, "ann@example.com", "wrong 3")).IsLockedOut);
        Assert.Single(host.Sms.Sent);
        Assert.True((await CheckAsync(host, "ann@example.com", Password)).IsLockedOut, "the right password must not open a locked account");
        Assert.Single(host.Sms.Sent);

        var code = host.Sms.LastCodeTo(Phone);
        await using (var scope = host.Scope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var unlock = scope.ServiceProvider.GetRequiredService<SmsUnlockService<IdentityUser>>();
            var found = (await users.FindByIdAsync(user.Id))!;
            Assert.Equal(SmsUnlockResult.Unlocked, await unlock.UnlockAsync(found, code));
            Assert.Equal(0, await users.GetAccessFailedCountAsync(found));
            // Used once.
            Assert.Equal(SmsUnlockResult.NotLocked, await unlock.UnlockAsync(found, code));
        }
        Assert.True((await CheckAsync(host, "ann@example.com", Password)).Succeeded);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task ParallelWrongPasswordsLockOnceAndTextOnce(DatabaseKind engine)
    {
        await using var host = Host(engine);
        await CreateUserAsync(host);

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => CheckAsync(host, "ann@example.com", $"wrong {i}"))));

        Assert.Equal(2, results.Count(r => r == SignInResult.Failed));
        Assert.Equal(10, results.Count(r => r.IsLockedOut));
        Assert.Single(host.Sms.Sent);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task ParallelRightPasswordsAllSucceed(DatabaseKind engine)
    {
        await using var host = Host(engine);
        await CreateUserAsync(host);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => CheckAsync(host, "ann@example.com", Password))));

        Assert.All(results, r => Assert.True(r.Succeeded, r.ToString()));
        Assert.Empty(host.Sms.Sent);
    }

    [Fact]
    public async Task AWrongUnlockCodeIsBurnt()
    {
        await using var host = Host(DatabaseKind.Sqlite);
        var user = await CreateUserAsync(host);
        for (var i = 0; i < 3; i++)
        {
            await CheckAsync(host, "ann@example.com", "wrong");
        }
        var code = host.Sms.LastCodeTo(Phone);
        var wrong = code == "000000" ? "111111" : "000000";

        await using var scope = host.Scope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var unlock = scope.ServiceProvider.GetRequiredService<SmsUnlockService<IdentityUser>>();
        var found = (await users.FindByIdAsync(user.Id))!;
        Assert.Equal(SmsUnlockResult.WrongCode, await unlock.UnlockAsync(found, wrong));
        Assert.Equal(SmsUnlockResult.WrongCode, await unlock.UnlockAsync(found, code));
        Assert.True(await users.IsLockedOutAsync(found));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheSignInManagerIsReplacedOnlyWhenAskedFor(bool optIn)
    {
        await using var host = new LibraryHost<IdentityUser, AppDbContext>(DatabaseKind.Sqlite, o => o.UseSignInManager = optIn,
            services: s => s.AddAuthentication(), identityBuilder: b => b.AddSignInManager());
        await using var scope = host.Scope();
        var manager = scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>();
        Assert.Equal(optIn ? typeof(SmsTwoFactorSignInManager<IdentityUser>) : typeof(SignInManager<IdentityUser>), manager.GetType());
    }
}
