using System.Security.Cryptography;
using System.Text;
using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Pages;
using IdentityTwoFactor.Sms;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>
/// An existing deployment upgrades in place: a database at the schema of the release before the libraries were split out
/// (its newest migration was <c>CodeGuesses</c>), holding what that release wrote (users with confirmed phones and
/// password hashes, a lock, a live texted unlock code), is migrated by the site at start. Its users still sign in with
/// their passwords, the locked one stays locked, and the code on their phone unlocks them. Every later migration runs
/// here on rows, not on an empty database, so one that drops, renames without copying or adds a required column
/// without a default fails this test.
/// </summary>
/// <remarks>The rows are written with the old schema's columns named one by one and the old release's formulas (its
/// code hash is computed here from its definition, not through today's code), so a change to either shows up.</remarks>
public abstract class UpgradeTests(DatabaseKind database) : IAsyncLifetime
{
    private const string OldRelease = "CodeGuesses";
    private const string ActivePassword = "correct horse battery";
    private const string LockedPassword = "staple battery horse";
    private const string ActiveEmail = "ada@example.com";
    private const string LockedEmail = "grace@example.com";
    private const string LockedPhone = "+16502530042";
    private const string Code = "042917";

    private readonly string _codeHashKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-upgrade-").FullName;
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = database == DatabaseKind.PostgreSql
            ? PostgresServer.NewDatabase()
            : $"Data Source={Path.Combine(_folder, "site.db")}";
        await using var db = NewContext();
        await db.GetService<IMigrator>().MigrateAsync(OldRelease);
        Assert.Equal(OldRelease, (await db.Database.GetAppliedMigrationsAsync()).Last().Split('_', 2)[1]);
        Assert.NotEmpty(await db.Database.GetPendingMigrationsAsync());
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A handle the pool still holds; the temp folder is the OS's to clean.
        }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task UsersLocksAndLiveCodesOfTheOldReleaseSurviveTheUpgrade()
    {
        var now = DateTime.UtcNow;
        var activeId = Guid.NewGuid().ToString("D");
        var lockedId = Guid.NewGuid().ToString("D");
        await using (var db = NewContext())
        {
            await InsertUserAsync(db, activeId, ActiveEmail, ActivePassword, "+16502530041", now.AddDays(-30), failures: 1, lockoutEnd: null);
            // Locked by three wrong passwords a few minutes ago; the old release locked for ten years, until a code.
            await InsertUserAsync(db, lockedId, LockedEmail, LockedPassword, LockedPhone, now.AddDays(-20), failures: 3, lockoutEnd: now.AddDays(3650));
            var codeHash = OldCodeHash(lockedId, "Unlock", LockedPhone, Code);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO "UserCodes" ("Id", "UserId", "Purpose", "CodeHash", "CreatedUtc", "ExpiresUtc", "SentUtc")
                VALUES ({Guid.NewGuid()}, {lockedId}, {"Unlock"}, {codeHash}, {now.AddMinutes(-5)}, {now.AddMinutes(55)}, {now.AddMinutes(-5)})
                """);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO "SecurityEvents" ("UserId", "Kind", "AtUtc", "IpAddress", "UserAgent")
                VALUES ({lockedId}, {"Locked"}, {now.AddMinutes(-5)}, {"198.51.100.7"}, {"Old browser"})
                """);
        }

        await using var site = await SiteFactory.StartAsync(Settings());
        Assert.Empty(await site.WithDbAsync(async db => (await db.Database.GetPendingMigrationsAsync()).ToList()));
        using var browser = site.NewClient();

        // The active user signs in with the password the old release hashed.
        Assert.Equal("/", (await browser.LogInAsync(ActiveEmail, ActivePassword)).Headers.Location?.OriginalString);

        // The locked user stays locked, even with the right password, and is told to unlock.
        using var owner = site.NewClient();
        var refused = FormClient.Flashes(await owner.FollowAsync(await owner.LogInAsync(LockedEmail, LockedPassword)));
        Assert.Contains(SmsMessages.StillLocked(PhoneMask.Mask(LockedPhone)), refused);
        Assert.True(await site.WithDbAsync(db => db.Users.Where(u => u.Id == lockedId).Select(u => u.LockoutEnd).SingleAsync()) > now.AddDays(3000));

        // The code the old release texted unlocks the account, and the password signs in again.
        var unlocked = FormClient.Flashes(await owner.FollowAsync(await owner.UnlockAsync(LockedEmail, Code)));
        Assert.Contains("Your account is unlocked. Please log in.", unlocked);
        Assert.Equal("/", (await owner.LogInAsync(LockedEmail, LockedPassword)).Headers.Location?.OriginalString);

        // Used once: the row is gone.
        Assert.Equal(0, await site.WithDbAsync(db => db.UserCodes.CountAsync(c => c.UserId == lockedId && c.Purpose == "Unlock")));

        // The account's history goes on from what the old release recorded: its lock, then this upgrade's unlock.
        var history = await site.WithDbAsync(db => db.SecurityEvents.Where(e => e.UserId == lockedId).OrderBy(e => e.AtUtc).ThenBy(e => e.Id)
            .Select(e => new { e.Kind, e.IpAddress }).ToListAsync());
        Assert.Equal(new { Kind = "Locked", IpAddress = (string?)"198.51.100.7" }, history[0]);
        Assert.Contains(history.Skip(1), e => e.Kind == SecurityEventKinds.Unlocked);

        // What Identity's own store gives is there for the upgraded users too: a claim is added and read back.
        Assert.Equal(["early-adopter"], await site.WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<TwoFactorUser>>();
            var user = (await users.FindByIdAsync(activeId))!;
            Assert.True((await users.AddClaimAsync(user, new System.Security.Claims.Claim("tier", "early-adopter"))).Succeeded);
            return (await users.GetClaimsAsync(user)).Select(c => c.Value).ToList();
        }));
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Site"] = _connectionString,
            ["TwoFactor:CodeHashKey"] = _codeHashKey,
        };
        if (database == DatabaseKind.PostgreSql)
        {
            settings["Database:Provider"] = "PostgreSQL";
            settings["DataProtection:KeyEncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        }
        return settings;
    }

    private SiteDbContext NewContext() => database == DatabaseKind.PostgreSql
        ? new PostgresSiteDbContext(new DbContextOptionsBuilder<PostgresSiteDbContext>().UseNpgsql(_connectionString).Options)
        : new SiteDbContext(new DbContextOptionsBuilder<SiteDbContext>().UseSqlite(_connectionString).Options);

    /// <summary>A user row as the old release's signup, phone confirmation and lockout left it (the <c>Users</c>
    /// table's columns at <c>CodeGuesses</c>).</summary>
    private static Task<int> InsertUserAsync(SiteDbContext db, string id, string email, string password, string phone, DateTime created,
        int failures, DateTime? lockoutEnd)
    {
        var hash = new PasswordHasher<object>().HashPassword(new object(), password); // Identity V3, as the old release stored
        var normalized = email.ToUpperInvariant();
        return db.Database.ExecuteSqlAsync($"""
            INSERT INTO "Users" ("Id", "UserName", "NormalizedUserName", "Email", "NormalizedEmail", "EmailConfirmed", "PasswordHash",
                "SecurityStamp", "ConcurrencyStamp", "PhoneNumber", "PhoneNumberConfirmed", "TwoFactorEnabled", "FirstName", "LastName",
                "AccessFailedCount", "LockoutEnabled", "LockoutEndUtc", "CreatedUtc")
            VALUES ({id}, {email}, {normalized}, {email}, {normalized}, {false}, {hash},
                {Guid.NewGuid().ToString("N").ToUpperInvariant()}, {Guid.NewGuid().ToString("D")}, {phone}, {true}, {false}, {"Ada"}, {"Lovelace"},
                {failures}, {true}, {lockoutEnd}, {created})
            """);
    }

    /// <summary>The old release's code hash, from its definition: HMAC-SHA256 under the server key of
    /// "userId\npurpose\nphone\ncode" in UTF-8.</summary>
    private byte[] OldCodeHash(string userId, string purpose, string phone, string code) =>
        HMACSHA256.HashData(Convert.FromBase64String(_codeHashKey), Encoding.UTF8.GetBytes($"{userId}\n{purpose}\n{phone}\n{code}"));
}

public sealed class SqliteUpgradeTests() : UpgradeTests(DatabaseKind.Sqlite);

public sealed class PostgresUpgradeTests() : UpgradeTests(DatabaseKind.PostgreSql);
