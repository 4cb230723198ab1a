using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace IdentityTwoFactor.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the SQLite model without starting the site.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<SiteDbContext>
{
    public SiteDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SiteDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>The same for PostgreSQL (<c>--context PostgresSiteDbContext</c>); no server is needed to add a migration.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresSiteDbContext>
{
    public PostgresSiteDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresSiteDbContext>().UseNpgsql("Host=localhost;Database=design_time").Options);
}
