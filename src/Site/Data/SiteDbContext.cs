using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Identity.Sessions;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Data;

/// <summary>
/// The site's database: users, their codes, the SMS budget and the Data Protection keys (shared by every instance, so
/// cookies and antiforgery tokens made by one are accepted by another). Table and column names are plain and the
/// atomic statements are portable. This type carries the SQLite migrations; <see cref="PostgresSiteDbContext"/>
/// carries PostgreSQL's.
/// </summary>
public class SiteDbContext : DbContext, ITwoFactorDbContext, IDataProtectionKeyContext
{
    public SiteDbContext(DbContextOptions<SiteDbContext> options) : base(options)
    {
    }

    protected SiteDbContext(DbContextOptions options) : base(options)
    {
    }

    public DbSet<TwoFactorUser> Users => Set<TwoFactorUser>();
    public DbSet<UserCode> UserCodes => Set<UserCode>();
    public DbSet<SendBudget> SendBudgets => Set<SendBudget>();
    public DbSet<SecurityEvent> SecurityEvents => Set<SecurityEvent>();
    public DbSet<UserSession> UserSessions => Set<UserSession>();
    public DbSet<CodeGuess> CodeGuesses => Set<CodeGuess>();
    public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();
    public DbSet<UserRole> UserRoles => Set<UserRole>();
    public DbSet<AuthenticatorKey> AuthenticatorKeys => Set<AuthenticatorKey>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyTwoFactorModel();
        modelBuilder.ApplyServerSessionModel();
        modelBuilder.Entity<DataProtectionKey>().ToTable("DataProtectionKeys");
    }
}

/// <summary>The same model on PostgreSQL, with its own migrations (Data/Migrations/Postgres).</summary>
public sealed class PostgresSiteDbContext(DbContextOptions<PostgresSiteDbContext> options) : SiteDbContext(options);
