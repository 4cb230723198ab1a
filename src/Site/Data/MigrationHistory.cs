using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdentityTwoFactor.Data;

/// <summary>The migrations this build has that the database's history table does not list, read with one plain
/// <c>SELECT</c>.</summary>
/// <remarks>
/// EF Core's own <see cref="RelationalDatabaseFacadeExtensions.GetPendingMigrations(DatabaseFacade)"/> asks
/// <see cref="IHistoryRepository"/>, which builds a model of the history table by convention before its first read: EF
/// Core's whole convention machinery, JIT-compiled in every start of every instance (1,100 methods more than this read,
/// about 3 MiB of code and type data that stays in the process, and 100-300 ms on the way to the first page on this
/// project's 2-core machines) for a table of one column the site reads once. The site runs on compiled models and needs
/// no model here: the migration ids come from the assembly (<see cref="IMigrationsAssembly"/>, no model either), the
/// table's existence from the provider's <see cref="IHistoryRepository.Exists"/> as EF Core asks it, and its rows from
/// <c>SELECT "MigrationId"</c> on the table the context's options name (<c>MigrationsHistoryTable</c>, default
/// <c>__EFMigrationsHistory</c>). The result is the same list as EF Core's, in the same order; the tests compare the
/// two on both engines.
/// </remarks>
internal static class MigrationHistory
{
    /// <summary>EF Core's history column of the migration id (<c>HistoryRow.MigrationId</c>).</summary>
    private const string MigrationIdColumn = "MigrationId";

    public static IReadOnlyList<string> PendingMigrations(this DatabaseFacade database)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        if (database.GetService<IHistoryRepository>().Exists())
        {
            try
            {
                using var reader = Command(database).ExecuteReader(Parameters(database));
                while (reader.Read())
                {
                    applied.Add(reader.DbDataReader.GetString(0));
                }
            }
            catch (DbException e) when (IsMissingTable(e))
            {
                // No history table yet: nothing applied.
            }
        }
        return [.. database.GetMigrations().Where(id => !applied.Contains(id))];
    }

    public static async Task<IReadOnlyList<string>> PendingMigrationsAsync(this DatabaseFacade database, CancellationToken cancellationToken = default)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        if (await database.GetService<IHistoryRepository>().ExistsAsync(cancellationToken))
        {
            try
            {
                await using var reader = await Command(database).ExecuteReaderAsync(Parameters(database), cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.DbDataReader.GetString(0));
                }
            }
            catch (DbException e) when (IsMissingTable(e))
            {
                // No history table yet: nothing applied.
            }
        }
        return [.. database.GetMigrations().Where(id => !applied.Contains(id))];
    }

    /// <summary>SQLite's <see cref="IHistoryRepository.Exists"/> looks the table up; Npgsql's (10.0) answered true on a
    /// new database without it, and its own read treats an undefined table as an empty history, so this read does the
    /// same, by the standard SQLSTATE: 42P01 undefined table, 3F000 undefined schema (a <c>MigrationsHistoryTable</c>
    /// schema not created yet). EF Core logs that failed <c>SELECT</c> once at Error, as it does for its own read.
    /// <see cref="DbException.SqlState"/> keeps the provider's exception type out of this method, so a SQLite site
    /// never loads Npgsql for it.</summary>
    private static bool IsMissingTable(DbException e) => e.SqlState is "42P01" or "3F000";

    private static IRelationalCommand Command(DatabaseFacade database)
    {
        var options = RelationalOptionsExtension.Extract(database.GetService<IDbContextOptions>());
        var sql = database.GetService<ISqlGenerationHelper>();
        var table = sql.DelimitIdentifier(options.MigrationsHistoryTableName ?? HistoryRepository.DefaultTableName,
            options.MigrationsHistoryTableSchema);
        return database.GetService<IRawSqlCommandBuilder>().Build($"SELECT {sql.DelimitIdentifier(MigrationIdColumn)} FROM {table}");
    }

    private static RelationalCommandParameterObject Parameters(DatabaseFacade database) => new(
        database.GetService<IRelationalConnection>(), parameterValues: null, readerColumns: null,
        database.GetService<ICurrentDbContext>().Context, database.GetService<IRelationalCommandDiagnosticsLogger>(),
        CommandSource.Migrations);
}
