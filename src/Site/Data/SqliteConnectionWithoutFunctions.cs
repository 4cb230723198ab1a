using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Sqlite.Storage.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdentityTwoFactor.Data;

#pragma warning disable EF1001 // EF Core's SQLite connection is internal API; see the remarks, and SqliteFunctionsTests.

/// <summary>EF Core's SQLite connection without the eleven SQL functions EF Core adds to every connection it creates
/// (<c>regexp</c>, and <c>ef_add</c>, <c>ef_compare</c> ... <c>ef_sum</c> for <see cref="decimal"/> arithmetic).</summary>
/// <remarks>
/// <para>
/// Microsoft.Data.Sqlite registers a connection's functions with SQLite on every <c>Open</c> and removes them when the
/// connection goes back to its pool, and SQLitePCL wraps each registration in a new finalizable <c>hook_handle</c>. EF
/// Core opens and closes the connection around each query and save, so a sign-in (about six statements) made some 60 of
/// them. They outlived gen-0 collections in bulk (a finalizable handle is not freed by the collection that finds it
/// dead): each gen-0 collection promoted about 1 MB of them into generation 1 (a heap dump in the middle of the
/// benchmark's sign-in scenario: 35,000 <c>hook_handle</c>s, half of generation 1), which grew by that much per
/// collection until a gen-1 collection, and took the process's resident memory up with it (the peak RSS target of the
/// benchmark).
/// </para>
/// <para>
/// The site needs none of those functions: its model has no <see cref="decimal"/> property and no query uses
/// <c>Regex.IsMatch</c>, which is what EF Core translates to them. A query that did would fail with SQLite's "no such
/// function" error, on every run of it, so a test would see it at once; <c>SqliteFunctionsTests</c> also checks that
/// the site's model has no <see cref="decimal"/> property. Only the site's pooled contexts use this connection; a team
/// using the library keeps EF Core's own.
/// </para>
/// </remarks>
internal sealed class SqliteConnectionWithoutFunctions(
    RelationalConnectionDependencies dependencies,
    IRawSqlCommandBuilder rawSqlCommandBuilder,
    IDiagnosticsLogger<DbLoggerCategory.Infrastructure> logger)
    : SqliteRelationalConnection(dependencies, rawSqlCommandBuilder, logger)
{
    protected override DbConnection CreateDbConnection()
    {
        var connection = new SqliteConnection(GetValidatedConnectionString());
        if (CommandTimeout is { } seconds)
        {
            connection.DefaultTimeout = seconds;
        }
        return connection;
    }
}

internal static class SqliteConnectionWithoutFunctionsExtensions
{
    /// <summary>The context's SQLite connections come without EF Core's SQL functions (<see cref="SqliteConnectionWithoutFunctions"/>).</summary>
    public static DbContextOptionsBuilder WithoutSqliteFunctions(this DbContextOptionsBuilder options) =>
        options.ReplaceService<ISqliteRelationalConnection, SqliteConnectionWithoutFunctions>();
}
