using IdentityTwoFactor.Stores;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// What the store needs from a DbContext. An app that lifts the store into its own DbContext implements this
/// and calls <see cref="TwoFactorModel.ApplyTwoFactorModel"/> from OnModelCreating.
/// </summary>
public interface ITwoFactorDbContext
{
    DbSet<TwoFactorUser> Users { get; }
    /// <summary>The library's codes, in the site's <c>UserCodes</c> table.</summary>
    DbSet<SmsCode> UserCodes { get; }
    /// <summary>The library's budget rows, in the site's <c>SendBudgets</c> table.</summary>
    DbSet<SmsBudgetEntry> SendBudgets { get; }
    /// <summary>The library's security events, in the site's <c>SecurityEvents</c> table.</summary>
    DbSet<SecurityEvent> SecurityEvents { get; }
    /// <summary>The library's tries at codes, in the site's <c>CodeGuesses</c> table.</summary>
    DbSet<SmsCodeGuess> CodeGuesses { get; }
    DbSet<RecoveryCode> RecoveryCodes { get; }
    DbSet<UserRole> UserRoles { get; }
    DbSet<AuthenticatorKey> AuthenticatorKeys { get; }
}

public static class TwoFactorModel
{
    public static ModelBuilder ApplyTwoFactorModel(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<TwoFactorUser>(b =>
        {
            b.ToTable("Users");
            b.HasKey(u => u.Id);
            b.Property(u => u.Id).HasMaxLength(36);
            b.Property(u => u.UserName).HasMaxLength(256);
            b.Property(u => u.NormalizedUserName).HasMaxLength(256);
            b.Property(u => u.Email).HasMaxLength(256);
            b.Property(u => u.NormalizedEmail).HasMaxLength(256);
            // The site's names, not Identity's EmailIndex/UserNameIndex: the indexes predate the Identity context. Emails are
            // unique on this site (one account per address, checked again by this index under parallel signups).
            b.HasIndex(u => u.NormalizedEmail).IsUnique().HasDatabaseName("IX_Users_NormalizedEmail");
            b.HasIndex(u => u.NormalizedUserName).IsUnique().HasDatabaseName("IX_Users_NormalizedUserName");
            b.Property(u => u.PhoneNumber).HasMaxLength(16);
            b.Property(u => u.FirstName).HasMaxLength(100);
            b.Property(u => u.LastName).HasMaxLength(100);
            b.Property(u => u.SecurityStamp).HasMaxLength(64);
            b.Property(u => u.ConcurrencyStamp).HasMaxLength(64).IsConcurrencyToken();
            // Identity's DateTimeOffset, stored as the UTC instant it always was: SQLite compares DateTime text but
            // cannot compare DateTimeOffset values, and the atomic lockout statements compare the lock end in SQL.
            b.Property(u => u.LockoutEnd).HasColumnName("LockoutEndUtc")
                .HasConversion(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset, DateTime>(
                    end => end.UtcDateTime, utc => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc))));
        });
        // The library's code, try, budget and security event tables under the site's names. The site keeps its column lengths, and its
        // foreign keys, so deleting a user deletes the user's codes and tries in the same statement.
        modelBuilder.AddSmsTwoFactor(names =>
        {
            names.CodesTable = "UserCodes";
            names.GuessesTable = "CodeGuesses";
            names.BudgetsTable = "SendBudgets";
            names.SecurityEventsTable = "SecurityEvents";
        });
        modelBuilder.Entity<SmsCode>(b =>
        {
            b.Property(c => c.UserId).HasMaxLength(36);
            b.Property(c => c.Purpose).HasMaxLength(64);
            b.HasOne<TwoFactorUser>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<SmsCodeGuess>(b =>
        {
            b.Property(g => g.UserId).HasMaxLength(36);
            b.HasIndex(g => g.AtUtc);
            b.HasOne<TwoFactorUser>().WithMany().HasForeignKey(g => g.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<SmsBudgetEntry>(b => b.Property(x => x.Key).HasMaxLength(80));
        modelBuilder.Entity<SecurityEvent>(b =>
        {
            b.Property(e => e.UserId).HasMaxLength(36);
            b.Property(e => e.Kind).HasMaxLength(32);
            b.HasOne<TwoFactorUser>().WithMany().HasForeignKey(e => e.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RecoveryCode>(b =>
        {
            b.ToTable("RecoveryCodes");
            b.HasKey(c => c.Id);
            b.Property(c => c.UserId).HasMaxLength(36);
            b.Property(c => c.CodeHash).HasMaxLength(32);
            // The lookup and the consuming DELETE go by (user, keyed hash): the HMAC makes an indexed lookup safe.
            b.HasIndex(c => new { c.UserId, c.CodeHash }).IsUnique();
            b.HasOne<TwoFactorUser>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<UserRole>(b =>
        {
            b.ToTable("UserRoles");
            b.HasKey(r => new { r.UserId, r.Role });
            b.Property(r => r.UserId).HasMaxLength(36);
            b.Property(r => r.Role).HasMaxLength(64);
            b.HasIndex(r => r.Role);
            b.HasOne<TwoFactorUser>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AuthenticatorKey>(b =>
        {
            b.ToTable("AuthenticatorKeys");
            b.HasKey(a => a.UserId);
            b.Property(a => a.UserId).HasMaxLength(36);
            // Data Protection ciphertext of a 20-byte key: about 150 characters.
            b.Property(a => a.ProtectedKey).HasMaxLength(1000);
            b.Property(a => a.PendingProtectedKey).HasMaxLength(1000);
            b.HasOne<TwoFactorUser>().WithMany().HasForeignKey(a => a.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        return modelBuilder;
    }
}
