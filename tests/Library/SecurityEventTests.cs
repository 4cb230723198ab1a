using System.Net;
using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Events;
using IdentityTwoFactor.Lockout;
using IdentityTwoFactor.Sms;
using IdentityTwoFactor.Tests.Library.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IdentityTwoFactor.Tests.Library;

/// <summary>The account's security events the library records itself (wrong passwords, the lock, the texted code, wrong
/// codes, the unlock), with the client of each request, in the app's own context and table names.</summary>
public sealed class SecurityEventTests
{
    private const string Phone = "+16505550123";
    private static readonly IPAddress Address = IPAddress.Parse("198.51.100.7");
    private static readonly IPAddress Stranger = IPAddress.Parse("203.0.113.9");
    private const string Agent = "Mozilla/5.0 (test)\u0007";

    private static LibraryHost<AppUser, IntKeyDbContext> Host(DatabaseKind engine, FakeTimeProvider? clock = null) =>
        new(engine, o =>
        {
            o.UseSignInManager = true;
            // A resend right after a send (the tests below) is not the cooldown's business here.
            o.ResendCooldown = TimeSpan.Zero;
        }, withRoles: true, services: s =>
        {
            s.AddAuthentication();
            if (clock is not null)
            {
                s.AddSingleton<TimeProvider>(clock);
            }
        });

    /// <summary>A request scope whose HttpContext has the client's address and user agent.</summary>
    private static AsyncServiceScope Request(LibraryHost<AppUser, IntKeyDbContext> host, IPAddress? address = null)
    {
        var scope = host.Scope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Connection.RemoteIpAddress = address ?? Address;
        context.Request.Headers.UserAgent = Agent;
        scope.ServiceProvider.GetRequiredService<IHttpContextAccessor>().HttpContext = context;
        return scope;
    }

    private static async Task<int> CreateAsync(LibraryHost<AppUser, IntKeyDbContext> host)
    {
        await using var scope = host.Scope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = new AppUser { UserName = "ann@example.com", Email = "ann@example.com", PhoneNumber = Phone, PhoneNumberConfirmed = true };
        Assert.True((await users.CreateAsync(user, "Correct horse 1!")).Succeeded);
        return user.Id;
    }

    private static async Task<IReadOnlyList<SecurityEvent>> EventsAsync(LibraryHost<AppUser, IntKeyDbContext> host, int id)
    {
        await using var scope = host.Scope();
        return await scope.ServiceProvider.GetRequiredService<ISecurityEventLog>().ListAsync(id.ToString(), 1, 50);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task TheLockTheTextTheWrongCodeAndTheUnlockAreRecordedWithTheirClient(DatabaseKind engine)
    {
        await using var host = Host(engine);
        var id = await CreateAsync(host);
        for (var i = 0; i < 3; i++)
        {
            await using var scope = Request(host);
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<AppUser>>();
            await signIn.CheckPasswordSignInAsync((await users.FindByIdAsync(id.ToString()))!, $"wrong {i}", lockoutOnFailure: false);
        }
        var code = host.Sms.LastCodeTo(Phone);
        foreach (var attempt in new[] { code == "000000" ? "000001" : "000000", code })
        {
            // The wrong code from a stranger's network, so the owner can still use the code on the phone.
            await using var scope = Request(host, attempt == code ? Address : Stranger);
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            await scope.ServiceProvider.GetRequiredService<SmsUnlockService<AppUser>>().UnlockAsync((await users.FindByIdAsync(id.ToString()))!, attempt);
        }

        var events = await EventsAsync(host, id);

        Assert.Equal(
            [SecurityEventKinds.Unlocked, SecurityEventKinds.CodeFailed, SecurityEventKinds.CodeSent, SecurityEventKinds.Locked,
             SecurityEventKinds.PasswordFailed, SecurityEventKinds.PasswordFailed, SecurityEventKinds.PasswordFailed],
            events.Select(e => e.Kind));
        var unlocked = events[0];
        Assert.Equal(Address.ToString(), unlocked.IpAddress);
        Assert.Equal("Mozilla/5.0 (test)", unlocked.UserAgent);
        Assert.Equal(Stranger.ToString(), events[1].IpAddress);
        Assert.All(events, e => Assert.Equal(id.ToString(), e.UserId));
        Assert.DoesNotContain(events, e => (e.Detail ?? "").Contains(code, StringComparison.Ordinal));
    }

    /// <summary>An app whose conventions store every <see cref="DateTime"/> as a number (a way to make dates sortable on
    /// SQLite): the event's own INSERT is SQL text, so it must send the column's stored form, not the CLR value (which
    /// SQLite keeps as text that reads back as a wrong date, and PostgreSQL refuses for a bigint column).</summary>
    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task AnEventIsWrittenThroughTheAppsValueConverters(DatabaseKind engine)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 1, 30, 15, TimeSpan.Zero).AddTicks(1234567));
        await using var host = new LibraryHost<IdentityUser, TicksDbContext>(engine, services: s => s.AddSingleton<TimeProvider>(clock));
        await using (var scope = host.Scope())
        {
            var log = scope.ServiceProvider.GetRequiredService<ISecurityEventLog>();
            await log.RecordAsync("user-1", "Custom", "a note");
        }
        await using (var scope = host.Scope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TicksDbContext>();
            var table = db.Model.FindEntityType(typeof(SecurityEvent))!.GetTableName();
            var query = "SELECT \"AtUtc\" AS \"Value\" FROM \"" + table + "\""; // the model's own table name, no input
            var stored = await db.Database.SqlQueryRaw<long>(query).SingleAsync();
            Assert.Equal(clock.GetUtcNow().UtcDateTime.ToBinary(), stored); // EF Core's DateTime-to-long converter
            var log = scope.ServiceProvider.GetRequiredService<ISecurityEventLog>();
            var listed = Assert.Single(await log.ListAsync("user-1", 1, 10));
            Assert.Equal(clock.GetUtcNow().UtcDateTime, listed.AtUtc);
            Assert.Equal("a note", listed.Detail);
            Assert.Equal(1, await log.CountSinceAsync("user-1", "Custom", clock.GetUtcNow().UtcDateTime.AddSeconds(-1)));
        }
    }

    [Fact]
    public async Task OldEventsArePrunedAndDeletingTheUserDeletesTheRest()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = Host(DatabaseKind.Sqlite, clock);
        var id = await CreateAsync(host);
        await using (var scope = host.Scope())
        {
            var log = scope.ServiceProvider.GetRequiredService<ISecurityEventLog>();
            await log.RecordAsync(id.ToString(), "Old");
            clock.Advance(TimeSpan.FromDays(91));
            await log.RecordAsync(id.ToString(), "New", "a note");
            Assert.Equal(1, await log.PruneAsync());
            Assert.Equal(["New"], (await log.ListAsync(id.ToString(), 1, 10)).Select(e => e.Kind));
            Assert.Equal(1, await log.CountSinceAsync(id.ToString(), "New", clock.GetUtcNow().UtcDateTime.AddMinutes(-1)));
        }
        await using (var scope = host.Scope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            Assert.True((await users.DeleteAsync((await users.FindByIdAsync(id.ToString()))!)).Succeeded);
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<ISecurityEventLog>().CountAsync(id.ToString()));
        }
    }

    [Fact]
    public async Task AResendWhoseTextFailsLeavesTheCodeOnThePhoneWorking()
    {
        await using var host = Host(DatabaseKind.Sqlite);
        var id = await CreateAsync(host);
        string first;
        await using (var scope = host.Scope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var sender = scope.ServiceProvider.GetRequiredService<SmsCodeSender<AppUser>>();
            var user = (await users.FindByIdAsync(id.ToString()))!;
            Assert.Equal(SmsCodeSendStatus.Sent, (await sender.SendAsync(user, "ResetPassword")).Status);
            first = host.Sms.LastCodeTo(Phone);
            host.Sms.Answer = () => SmsSendResult.Failed(SmsFailureKind.ProviderUnavailable, "503");
            Assert.Equal(SmsCodeSendStatus.Failed, (await sender.SendAsync(user, "ResetPassword")).Status);
        }
        await using (var scope = host.Scope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            Assert.True(await users.VerifyUserTokenAsync((await users.FindByIdAsync(id.ToString()))!, SmsCodeTokenProvider<AppUser>.ProviderName, "ResetPassword", first));
        }
        Assert.Single(await EventsAsync(host, id), e => e.Kind == SecurityEventKinds.CodeSent);
    }
}
