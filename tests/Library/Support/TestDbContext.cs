using IdentityTwoFactor.Stores;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Tests.Library.Support;

/// <summary>An app's Identity context as the template writes it, plus the one line the library asks for.</summary>
public class AppDbContext(DbContextOptions<AppDbContext> options) : IdentityDbContext<IdentityUser>(options)
{
    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.AddSmsTwoFactor();
    }
}

/// <summary>A user type of the app's own with an integer key, and roles.</summary>
public class AppUser : IdentityUser<int>
{
    public string? DisplayName { get; set; }
}

/// <summary>A context with <see cref="AppUser"/>, roles, and the library's tables under other names in another schema
/// (the schema is ignored on SQLite).</summary>
public class IntKeyDbContext(DbContextOptions<IntKeyDbContext> options) : IdentityDbContext<AppUser, IdentityRole<int>, int>(options)
{
    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.AddSmsTwoFactor(o =>
        {
            o.CodesTable = "TextedCodes";
            o.BudgetsTable = "TextBudgets";
            o.SecurityEventsTable = "AccountEvents";
        });
    }
}

/// <summary>The template's context with a convention of the app's own: every <see cref="DateTime"/> is stored as a number
/// (EF Core's converter to <c>long</c>, <see cref="DateTime.ToBinary"/>).</summary>
public class TicksDbContext(DbContextOptions<TicksDbContext> options) : IdentityDbContext<IdentityUser>(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.Properties<DateTime>().HaveConversion<long>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.AddSmsTwoFactor();
    }
}
