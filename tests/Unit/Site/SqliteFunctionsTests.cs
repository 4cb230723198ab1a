using IdentityTwoFactor.Data;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The site's SQLite connections come without EF Core's SQL functions (<see cref="SqliteConnectionWithoutFunctions"/>),
/// and nothing the site stores needs them.</summary>
public sealed class SqliteFunctionsTests
{
    [Fact]
    public void NoPropertyOfTheSitesModelIsADecimal()
    {
        // EF Core translates decimal arithmetic, comparison and aggregates on SQLite to its ef_* functions.
        var decimals = IdentityTwoFactor.Data.CompiledModels.Sqlite.SiteDbContextModel.Instance.GetEntityTypes()
            .SelectMany(e => e.GetProperties())
            .Where(p => (Nullable.GetUnderlyingType(p.ClrType) ?? p.ClrType) == typeof(decimal))
            .Select(p => $"{p.DeclaringType.ShortName()}.{p.Name}")
            .ToList();
        Assert.Empty(decimals);
    }

    [Fact]
    public async Task TheSitesConnectionsHaveNoEfCoreFunctionsWhileEfCoresOwnConnectionsDo()
    {
        await using var site = await SiteFactory.StartAsync();

        var (connectionString, error) = await site.WithDbAsync(async db =>
        {
            var failure = await Record.ExceptionAsync(() => db.Database.SqlQueryRaw<int>("SELECT ef_compare(1, 2) AS \"Value\"").ToListAsync());
            return (db.Database.GetConnectionString()!, failure);
        });
        Assert.Contains("no such function: ef_compare", Assert.IsType<SqliteException>(error).Message, StringComparison.Ordinal);

        // The same query on the same file through EF Core's own SQLite connection: the function is there.
        await using var plain = new SiteDbContext(new DbContextOptionsBuilder<SiteDbContext>().UseSqlite(connectionString).Options);
        Assert.Equal([-1], await plain.Database.SqlQueryRaw<int>("SELECT ef_compare(1, 2) AS \"Value\"").ToListAsync());
    }
}
