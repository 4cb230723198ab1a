using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Tests.Library.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IdentityTwoFactor.Tests.Library;

/// <summary>The provider's parts an app builds its own pages on: what a check says, and a code made first and stored
/// only once its text went.</summary>
public sealed class CodeProviderTests
{
    private const string Purpose = "ResetPassword";

    private static LibraryHost<IdentityUser, AppDbContext> Host(FakeTimeProvider clock) =>
        new(DatabaseKind.Sqlite, o => o.UseForPasswordReset = true, services: s => s.AddSingleton<TimeProvider>(clock));

    private static async Task<string> CreateUserAsync(LibraryHost<IdentityUser, AppDbContext> host)
    {
        await using var scope = host.Scope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = new IdentityUser { UserName = "ann@example.com", Email = "ann@example.com", PhoneNumber = "+16505550123", PhoneNumberConfirmed = true };
        Assert.True((await users.CreateAsync(user)).Succeeded);
        return user.Id;
    }

    /// <summary>Runs <paramref name="act"/> in a request scope of its own, as a page would.</summary>
    private static async Task<T> InScopeAsync<T>(LibraryHost<IdentityUser, AppDbContext> host, string id,
        Func<SmsCodeTokenProvider<IdentityUser>, UserManager<IdentityUser>, IdentityUser, Task<T>> act)
    {
        await using var scope = host.Scope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var provider = scope.ServiceProvider.GetRequiredService<SmsCodeTokenProvider<IdentityUser>>();
        return await act(provider, users, (await users.FindByIdAsync(id))!);
    }

    private static string WrongFor(string code) => ((int.Parse(code) + 1) % 1_000_000).ToString("D6");

    [Fact]
    public async Task CheckSaysWhatTheCodeWas()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = Host(clock);
        var id = await CreateUserAsync(host);

        Assert.Equal(SmsCodeCheckResult.Missing, await InScopeAsync(host, id, (p, m, u) => p.CheckAsync(Purpose, "123456", m, u)));

        var code = await InScopeAsync(host, id, (p, m, u) => p.GenerateAsync(Purpose, m, u));
        Assert.Equal(SmsCodeCheckResult.Valid, await InScopeAsync(host, id, (p, m, u) => p.CheckAsync(Purpose, code, m, u)));
        Assert.Equal(SmsCodeCheckResult.Missing, await InScopeAsync(host, id, (p, m, u) => p.CheckAsync(Purpose, code, m, u)));

        code = await InScopeAsync(host, id, (p, m, u) => p.GenerateAsync(Purpose, m, u));
        Assert.Equal(SmsCodeCheckResult.Wrong, await InScopeAsync(host, id, (p, m, u) => p.CheckAsync(Purpose, WrongFor(code), m, u)));

        code = await InScopeAsync(host, id, (p, m, u) => p.GenerateAsync(Purpose, m, u));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(SmsCodeCheckResult.Expired, await InScopeAsync(host, id, (p, m, u) => p.CheckAsync(Purpose, code, m, u)));
    }

    [Fact]
    public async Task ADraftIsNotLiveUntilStoredAndThePreviousCodeWorksMeanwhile()
    {
        await using var host = Host(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var id = await CreateUserAsync(host);
        var previous = await InScopeAsync(host, id, (p, m, u) => p.GenerateAsync(Purpose, m, u));

        // A resend whose text fails: the draft is never stored, and the code already on the phone still works.
        var unsent = await InScopeAsync(host, id, (p, m, u) => p.DraftAsync(Purpose, m, u));
        Assert.Matches("^[0-9]{6}$", unsent.Code);
        Assert.Equal(Purpose, unsent.Row.Purpose);
        Assert.Equal(SmsCodeCheckResult.Valid, await InScopeAsync(host, id, (p, m, u) => p.CheckAsync(Purpose, previous, m, u)));

        // A resend whose text went: the stored draft is the live code.
        var sent = await InScopeAsync(host, id, (p, m, u) => p.DraftAsync(Purpose, m, u));
        await InScopeAsync(host, id, async (p, m, u) =>
        {
            await p.StoreAsync(u, sent);
            return true;
        });
        Assert.Equal(SmsCodeCheckResult.Valid, await InScopeAsync(host, id, (p, m, u) => p.CheckAsync(Purpose, sent.Code, m, u)));
    }
}
