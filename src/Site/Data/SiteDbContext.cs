using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Identity.Sessions;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Data;

/// <summary>
/// The site's database: an ASP.NET Identity user context (users, claims, logins, authentication tokens and passkeys, at
/// Identity's schema version 3), plus the users' codes, the SMS budget, sessions and the Data Protection keys (shared by
/// every instance, so cookies and antiforgery tokens made by one are accepted by another). Table and column names are
/// plain and the atomic statements are portable. This type carries the SQLite migrations;
/// <see cref="PostgresSiteDbContext"/> carries PostgreSQL's.
/// </summary>
public class SiteDbContext : IdentityUserContext<TwoFactorUser>, ITwoFactorDbContext, IDataProtectionKeyContext
{
    public SiteDbContext(DbContextOptions<SiteDbContext> options) : base(options)
    {
    }

    protected SiteDbContext(DbContextOptions options) : base(options)
    {
    }

    public DbSet<SmsCode> UserCodes => Set<SmsCode>();
    public DbSet<SmsBudgetEntry> SendBudgets => Set<SmsBudgetEntry>();
    public DbSet<SecurityEvent> SecurityEvents => Set<SecurityEvent>();
    public DbSet<UserSession> UserSessions => Set<UserSession>();
    public DbSet<SmsCodeGuess> CodeGuesses => Set<SmsCodeGuess>();
    public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();
    public DbSet<UserRole> UserRoles => Set<UserRole>();
    public DbSet<AuthenticatorKey> AuthenticatorKeys => Set<AuthenticatorKey>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>The Identity schema the migrations and the compiled models are made for. Identity's context reads its
    /// version from the host's <see cref="IdentityOptions"/>; the site's Identity setup sets this one, and a context made
    /// without the site's services (the design-time tools, a test, the support command) gets it from
    /// <see cref="OnConfiguring"/>, so every path builds the same model.</summary>
    public static readonly Version IdentitySchema = IdentitySchemaVersions.Version3;

    private static readonly IServiceProvider IdentitySchemaServices = new ServiceCollection()
        .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = IdentitySchema)
        .BuildServiceProvider();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        var core = optionsBuilder.Options.FindExtension<Microsoft.EntityFrameworkCore.Infrastructure.CoreOptionsExtension>();
        if (core?.ApplicationServiceProvider is null)
        {
            optionsBuilder.UseApplicationServiceProvider(IdentitySchemaServices);
        }
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        if (builder.Model.FindEntityType(typeof(IdentityUserPasskey<string>)) is null)
        {
            // Identity built an older schema (no passkeys) because the host's IdentityOptions asked for it: the
            // migrations and compiled models would not match, so say which setting instead of failing on a query later.
            throw new InvalidOperationException(
                $"SiteDbContext is made for Identity schema version {IdentitySchema}: set IdentityOptions.Stores.SchemaVersion = SiteDbContext.IdentitySchema in AddIdentityCore's options.");
        }
        // Identity's own tables under the site's plain names (Identity's default is AspNet*).
        builder.Entity<IdentityUserClaim<string>>().ToTable("UserClaims");
        builder.Entity<IdentityUserLogin<string>>().ToTable("UserLogins");
        builder.Entity<IdentityUserToken<string>>().ToTable("UserTokens");
        builder.Entity<IdentityUserPasskey<string>>().ToTable("UserPasskeys");
        builder.ApplyTwoFactorModel();
        builder.ApplyServerSessionModel();
        builder.Entity<DataProtectionKey>().ToTable("DataProtectionKeys");
    }
}

/// <summary>The same model on PostgreSQL, with its own migrations (Data/Migrations/Postgres).</summary>
public sealed class PostgresSiteDbContext(DbContextOptions<PostgresSiteDbContext> options) : SiteDbContext(options);
