using System.Net;
using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Lockout;
using IdentityTwoFactor.Stores;
using IdentityTwoFactor.Tests.Library.Support;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IdentityTwoFactor.Tests.Library;

/// <summary>
/// In an app that uses the library, a stranger who knows only the victim's account posts wrong codes to the app's
/// unlock form, hoping to burn the code on the owner's phone and keep the owner locked out. Each request is a real
/// <see cref="DefaultHttpContext"/> (its antiforgery cookie and remote address) on Identity's
/// <see cref="IHttpContextAccessor"/>, as ASP.NET Core sets it for a request; the library's own client key reads it.
/// </summary>
public sealed class CodeBurnTests
{
    private const string Password = "Correct horse 1!";
    private const string Phone = "+16505550123";
    private const string Email = "ann@example.com";

    /// <summary>A browser: its antiforgery cookie and its address.</summary>
    private sealed record Client(string Cookie, IPAddress Address)
    {
        public static Client New(int n) => new($"cookie-{Guid.NewGuid():N}", IPAddress.Parse($"203.0.113.{n % 250 + 1}"));
    }

    private static readonly Client Owner = new("owners-cookie", IPAddress.Parse("198.51.100.7"));

    private static LibraryHost<IdentityUser, AppDbContext> Host(DatabaseKind engine, FakeTimeProvider? clock = null, int maxWrongCodesPerDay = 100) =>
        new(engine, o =>
        {
            o.UseSignInManager = true;
            o.MaxWrongCodesPerDay = maxWrongCodesPerDay;
        }, services: s =>
        {
            s.AddAuthentication();
            s.AddAntiforgery();
            if (clock is not null)
            {
                s.AddSingleton<TimeProvider>(clock);
            }
        });

    /// <summary>Creates the owner and locks the account with three wrong passwords; returns the texted unlock code.</summary>
    private static async Task<string> LockedOwnerAsync(LibraryHost<IdentityUser, AppDbContext> host)
    {
        await using (var scope = host.Scope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var created = await users.CreateAsync(new IdentityUser { UserName = Email, Email = Email, PhoneNumber = Phone, PhoneNumberConfirmed = true }, Password);
            Assert.True(created.Succeeded);
        }
        for (var i = 0; i < 3; i++)
        {
            await using var scope = host.Scope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>();
            await signIn.CheckPasswordSignInAsync((await users.FindByEmailAsync(Email))!, $"wrong {i}", lockoutOnFailure: true);
        }
        return host.Sms.LastCodeTo(Phone);
    }

    /// <summary>One request of <paramref name="client"/> to the app's unlock form.</summary>
    private static async Task<SmsUnlockResult> UnlockAsync(LibraryHost<IdentityUser, AppDbContext> host, Client? client, string code)
    {
        await using var scope = host.Scope();
        if (client is not null)
        {
            var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
            var cookieName = scope.ServiceProvider.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.Cookie.Name!;
            context.Request.Headers.Cookie = $"{cookieName}={client.Cookie}";
            context.Connection.RemoteIpAddress = client.Address;
            scope.ServiceProvider.GetRequiredService<IHttpContextAccessor>().HttpContext = context;
        }
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var unlock = scope.ServiceProvider.GetRequiredService<SmsUnlockService<IdentityUser>>();
        return await unlock.UnlockAsync((await users.FindByEmailAsync(Email))!, code);
    }

    private static string WrongFor(string code, int n = 0) => ((int.Parse(code) + 1 + n) % 1_000_000).ToString("D6");

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task AStrangersWrongCodeLeavesTheOwnerAbleToUnlock(DatabaseKind engine)
    {
        await using var host = Host(engine);
        var code = await LockedOwnerAsync(host);

        Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, Client.New(1), WrongFor(code)));

        Assert.Equal(SmsUnlockResult.Unlocked, await UnlockAsync(host, Owner, code));
    }

    [Fact]
    public async Task FiftyStrangersFromOtherAddressesCannotBurnTheOwnersCode()
    {
        await using var host = Host(DatabaseKind.Sqlite);
        var code = await LockedOwnerAsync(host);

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, Client.New(i), WrongFor(code, i)));
        }

        Assert.Equal(SmsUnlockResult.Unlocked, await UnlockAsync(host, Owner, code));
    }

    [Fact]
    public async Task TheClientThatGuessedWrongHasUsedItsTry()
    {
        await using var host = Host(DatabaseKind.Sqlite);
        var code = await LockedOwnerAsync(host);

        Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, Owner, WrongFor(code)));

        // The tutorial's rule, for the client that guessed: even the right code is refused to it now ("Click resend").
        Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, Owner, code));
        // A new cookie on another network is another client, and the code on the phone still works there.
        Assert.Equal(SmsUnlockResult.Unlocked, await UnlockAsync(host, Client.New(9), code));
    }

    [Fact]
    public async Task AnIPv6HostHasOneTryWhateverAddressOfItsSlash64ItUses()
    {
        await using var host = Host(DatabaseKind.Sqlite);
        var code = await LockedOwnerAsync(host);
        var cookie = $"cookie-{Guid.NewGuid():N}";

        Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, new Client(cookie, IPAddress.Parse("2001:db8:1:2::10")), WrongFor(code)));

        Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, new Client(cookie, IPAddress.Parse("2001:db8:1:2:ffff::99")), code));
    }

    [Fact]
    public async Task OutsideARequestAWrongGuessBurnsTheCodeForEveryone()
    {
        await using var host = Host(DatabaseKind.Sqlite);
        var code = await LockedOwnerAsync(host);

        Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, client: null, WrongFor(code)));

        Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, Owner, code));
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task TriesAtOneAccountAreBoundedPerDayAcrossClients(DatabaseKind engine)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = Host(engine, clock, maxWrongCodesPerDay: 5);
        var code = await LockedOwnerAsync(host);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, Client.New(i), WrongFor(code, i)));
        }

        // Past the bound no code of the account is compared, not even the right one: a stranger with unlimited
        // addresses gets at most MaxWrongCodesPerDay tries per day.
        Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, Owner, code));

        // A day later the tries have aged out; a new code (the old one expired) unlocks.
        clock.Advance(TimeSpan.FromHours(25));
        await using (var scope = host.Scope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var resent = await scope.ServiceProvider.GetRequiredService<SmsUnlockService<IdentityUser>>().ResendAsync((await users.FindByEmailAsync(Email))!);
            Assert.NotNull(resent);
        }
        Assert.Equal(SmsUnlockResult.Unlocked, await UnlockAsync(host, Client.New(77), host.Sms.LastCodeTo(Phone)));
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task ParallelPostsOfOneClientCompareOnce(DatabaseKind engine)
    {
        await using var host = Host(engine);
        var code = await LockedOwnerAsync(host);
        var stranger = Client.New(3);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => UnlockAsync(host, stranger, WrongFor(code, i)))));

        Assert.All(answers, a => Assert.Equal(SmsUnlockResult.WrongCode, a));
        await using (var scope = host.Scope())
        {
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<SmsCodeGuess>().CountAsync());
        }
        Assert.Equal(SmsUnlockResult.Unlocked, await UnlockAsync(host, Owner, code));
    }

    [Fact]
    public async Task RightTriesDoNotCountAndDeletingTheUserDeletesItsTries()
    {
        await using var host = Host(DatabaseKind.Sqlite);
        var code = await LockedOwnerAsync(host);
        Assert.Equal(SmsUnlockResult.WrongCode, await UnlockAsync(host, Client.New(1), WrongFor(code)));
        Assert.Equal(SmsUnlockResult.Unlocked, await UnlockAsync(host, Owner, code));

        await using var scope = host.Scope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.Equal(1, await db.Set<SmsCodeGuess>().CountAsync());
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        Assert.True((await users.DeleteAsync((await users.FindByEmailAsync(Email))!)).Succeeded);
        Assert.Equal(0, await db.Set<SmsCodeGuess>().CountAsync());
    }

    [Fact]
    public void TheClientKeyNamesNeitherCookieNorAddressAndTellsBrowsersAndNetworksApart()
    {
        var accessor = new HttpContextAccessor();
        var options = Options.Create(new AntiforgeryOptions { Cookie = { Name = "af" } });
        var client = new HttpContextSmsCodeClient(accessor, options);
        Assert.Null(client.CurrentClientKey());

        string Key(string cookie, string address)
        {
            var context = new DefaultHttpContext();
            context.Request.Headers.Cookie = $"af={cookie}";
            context.Connection.RemoteIpAddress = IPAddress.Parse(address);
            accessor.HttpContext = context;
            return client.CurrentClientKey()!;
        }

        var key = Key("c1", "2001:db8::1");
        Assert.Equal(64, key.Length);
        Assert.DoesNotContain("c1", key, StringComparison.Ordinal);
        Assert.Equal(key, Key("c1", "2001:db8::ffff:2"));
        Assert.NotEqual(key, Key("c2", "2001:db8::1"));
        Assert.NotEqual(key, Key("c1", "2001:db8:0:1::1"));
        Assert.Equal(Key("c1", "192.0.2.1"), Key("c1", "::ffff:192.0.2.1"));
    }
}
