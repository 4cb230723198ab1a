using IdentityTwoFactor.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Data;

/// <summary>The site's database: users and their codes. Table and column names are plain so the SQL stays portable.</summary>
public class SiteDbContext(DbContextOptions<SiteDbContext> options) : DbContext(options), ITwoFactorDbContext
{
    public DbSet<TwoFactorUser> Users => Set<TwoFactorUser>();
    public DbSet<UserCode> UserCodes => Set<UserCode>();
    public DbSet<SendBudget> SendBudgets => Set<SendBudget>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyTwoFactorModel();
    }
}
