using IdentityTwoFactor.Events;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Stores;

/// <summary>Names of the tables <see cref="SmsTwoFactorModelBuilderExtensions.AddSmsTwoFactor"/> adds.</summary>
public sealed class SmsTwoFactorModelOptions
{
    /// <summary>The schema of the tables; null for the context's default.</summary>
    public string? Schema { get; set; }

    /// <summary>The table of texted codes. Default <c>SmsTwoFactorCodes</c>.</summary>
    public string CodesTable { get; set; } = "SmsTwoFactorCodes";

    /// <summary>The table of SMS budgets. Default <c>SmsTwoFactorBudgets</c>.</summary>
    public string BudgetsTable { get; set; } = "SmsTwoFactorBudgets";

    /// <summary>The table of clients' tries at codes. Default <c>SmsTwoFactorCodeGuesses</c>.</summary>
    public string GuessesTable { get; set; } = "SmsTwoFactorCodeGuesses";

    /// <summary>The table of accounts' security events. Default <c>SmsTwoFactorSecurityEvents</c>.</summary>
    public string SecurityEventsTable { get; set; } = "SmsTwoFactorSecurityEvents";
}

/// <summary>Adds the library's tables to an app's own <see cref="DbContext"/> model.</summary>
public static class SmsTwoFactorModelBuilderExtensions
{
    /// <summary>Adds the tables of texted codes, clients' tries at them, SMS budgets and security events. Call it in <c>OnModelCreating</c> after
    /// <c>base.OnModelCreating(builder)</c>, then add a migration of your own.</summary>
    /// <param name="builder">The model builder of the app's Identity context.</param>
    /// <param name="configure">Changes table names or the schema.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static ModelBuilder AddSmsTwoFactor(this ModelBuilder builder, Action<SmsTwoFactorModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var names = new SmsTwoFactorModelOptions();
        configure?.Invoke(names);
        builder.Entity<SmsCode>(code =>
        {
            code.ToTable(names.CodesTable, names.Schema);
            code.HasKey(c => c.Id);
            code.Property(c => c.UserId).HasMaxLength(450).IsRequired();
            code.Property(c => c.Purpose).HasMaxLength(256).IsRequired();
            code.Property(c => c.CodeHash).HasMaxLength(32).IsRequired();
            // One live code per user and purpose: the replace is a delete and an insert, and a parallel issuer loses here.
            code.HasIndex(c => new { c.UserId, c.Purpose }).IsUnique();
        });
        builder.Entity<SmsCodeGuess>(guess =>
        {
            guess.ToTable(names.GuessesTable, names.Schema);
            guess.HasKey(g => g.Id);
            guess.Property(g => g.UserId).HasMaxLength(450).IsRequired();
            guess.Property(g => g.ClientKey).HasMaxLength(64).IsRequired();
            // One try per client and code: the insert that records a try before the comparison loses here when a
            // parallel post of the same client got in first.
            guess.HasIndex(g => new { g.CodeId, g.ClientKey }).IsUnique();
            guess.HasIndex(g => new { g.UserId, g.AtUtc });
        });
        builder.Entity<SecurityEvent>(e =>
        {
            e.ToTable(names.SecurityEventsTable, names.Schema);
            e.HasKey(x => x.Id);
            e.Property(x => x.UserId).HasMaxLength(450).IsRequired();
            e.Property(x => x.Kind).HasMaxLength(64).IsRequired();
            e.Property(x => x.IpAddress).HasMaxLength(45);
            e.Property(x => x.UserAgent).HasMaxLength(200);
            e.Property(x => x.Detail).HasMaxLength(256);
            // An account's activity page reads its newest events; pruning deletes by age.
            e.HasIndex(x => new { x.UserId, x.AtUtc });
            e.HasIndex(x => x.AtUtc);
        });
        builder.Entity<SmsBudgetEntry>(budget =>
        {
            budget.ToTable(names.BudgetsTable, names.Schema);
            budget.HasKey(b => b.Key);
            budget.Property(b => b.Key).HasMaxLength(128);
        });
        return builder;
    }
}
