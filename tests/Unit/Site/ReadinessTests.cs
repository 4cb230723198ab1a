using System.Net;
using IdentityTwoFactor.Data;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary><c>/readyz</c> and migrations on an instance that does not migrate (<c>Database:MigrateAtStart=false</c>, as
/// with several instances): not ready while a migration it knows is missing, ready once another process applied it.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task AnInstanceThatDoesNotMigrateIsReadyOnlyOnceItsMigrationsAreApplied()
    {
        var folder = Directory.CreateTempSubdirectory("itf-ready-").FullName;
        var database = Path.Combine(folder, "old.db");
        var options = new DbContextOptionsBuilder<SiteDbContext>().UseSqlite($"Data Source={database};Pooling=False").Options;
        string latest;
        await using (var db = new SiteDbContext(options))
        {
            // The database as the version before this one left it: every migration but the newest.
            var all = db.Database.GetMigrations().ToList();
            latest = all[^1];
            await db.GetService<IMigrator>().MigrateAsync(all[^2]);
            Assert.Equal([latest], await db.Database.GetPendingMigrationsAsync());
        }

        await using var site = await SiteFactory.StartAsync(new()
        {
            ["ConnectionStrings:Site"] = $"Data Source={database}",
            ["Database:MigrateAtStart"] = "false",
        });
        using var client = site.NewClient();

        var before = await client.Http.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        Assert.NotNull(before.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);

        // Another process (the deployment's --migrate-only run) applies the newest migration.
        await using (var db = new SiteDbContext(options))
        {
            await db.Database.MigrateAsync();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        }

        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // An open handle of the site's pool; the temp folder is cleaned by the OS.
        }
    }
}
