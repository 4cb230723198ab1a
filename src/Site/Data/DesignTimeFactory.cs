using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace IdentityTwoFactor.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the site.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<SiteDbContext>
{
    public SiteDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SiteDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
