using IdentityTwoFactor.Data;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The site's own read of the pending migrations (<see cref="MigrationHistory"/>, a plain query instead of EF
/// Core's history model) gives EF Core's answer, in EF Core's order, on each engine: a new database, one a release
/// behind, one up to date, one that a newer release already migrated, and a history table under another name.</summary>
public abstract class MigrationHistoryTests(DatabaseKind database) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("itf-history-").FullName;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A handle a pool still holds; the temp folder is the OS's to clean.
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("MigrationLog")]
    public async Task PendingMigrationsAreEfCoresAtEveryStageOfADatabase(string? historyTable)
    {
        var connectionString = database == DatabaseKind.PostgreSql
            ? PostgresServer.NewDatabase()
            : $"Data Source={Path.Combine(_folder, $"{historyTable ?? "default"}.db")};Pooling=False";

        await using var db = NewContext(connectionString, historyTable);
        var all = db.Database.GetMigrations().ToList();
        Assert.True(all.Count > 2);

        // A new database: no history table at all.
        await AssertSameAsEfCoreAsync(connectionString, historyTable, expected: all);

        // One release behind: every migration but the newest.
        await db.GetService<IMigrator>().MigrateAsync(all[^2]);
        await AssertSameAsEfCoreAsync(connectionString, historyTable, expected: [all[^1]]);

        // Up to date.
        await db.GetService<IMigrator>().MigrateAsync(all[^1]);
        await AssertSameAsEfCoreAsync(connectionString, historyTable, expected: []);

        // Migrated by a newer release, whose migration this build does not know: nothing pending here either.
        await db.Database.ExecuteSqlRawAsync(historyTable is null
                ? "INSERT INTO \"__EFMigrationsHistory\" (\"MigrationId\", \"ProductVersion\") VALUES ({0}, {1})"
                : "INSERT INTO \"MigrationLog\" (\"MigrationId\", \"ProductVersion\") VALUES ({0}, {1})",
            "99991231000000_FromANewerRelease", "10.0.15");
        await AssertSameAsEfCoreAsync(connectionString, historyTable, expected: []);

        // A migration of the middle removed from the history (as if it never ran): it is pending again, alone.
        await db.Database.ExecuteSqlRawAsync(historyTable is null
                ? "DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = {0}"
                : "DELETE FROM \"MigrationLog\" WHERE \"MigrationId\" = {0}",
            all[1]);
        await AssertSameAsEfCoreAsync(connectionString, historyTable, expected: [all[1]]);
    }

    private async Task AssertSameAsEfCoreAsync(string connectionString, string? historyTable, IReadOnlyList<string> expected)
    {
        // Each read on a context of its own, as the site reads it at start and in /readyz.
        await using var fresh = NewContext(connectionString, historyTable);
        var ours = fresh.Database.PendingMigrations();
        var oursAsync = await fresh.Database.PendingMigrationsAsync();
        var efCore = (await fresh.Database.GetPendingMigrationsAsync()).ToList();
        Assert.Equal(expected, efCore);
        Assert.Equal(efCore, ours);
        Assert.Equal(efCore, oursAsync);
    }

    private SiteDbContext NewContext(string connectionString, string? historyTable) => database == DatabaseKind.PostgreSql
        ? new PostgresSiteDbContext(new DbContextOptionsBuilder<PostgresSiteDbContext>()
            .UseNpgsql(connectionString, o => { if (historyTable is not null) { o.MigrationsHistoryTable(historyTable); } }).Options)
        : new SiteDbContext(new DbContextOptionsBuilder<SiteDbContext>()
            .UseSqlite(connectionString, o => { if (historyTable is not null) { o.MigrationsHistoryTable(historyTable); } }).Options);
}

public sealed class SqliteMigrationHistoryTests() : MigrationHistoryTests(DatabaseKind.Sqlite);

public sealed class PostgresMigrationHistoryTests() : MigrationHistoryTests(DatabaseKind.PostgreSql);
