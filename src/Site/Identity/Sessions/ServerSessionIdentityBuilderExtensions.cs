using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Identity.Sessions;

public static class ServerSessionIdentityBuilderExtensions
{
    /// <summary>
    /// Keeps Identity's application sign-ins as sessions in <typeparamref name="TContext"/> (table <c>UserSessions</c>):
    /// the cookie carries only a random session key, signing out deletes the session everywhere at once, and the user
    /// manager ends every session of a user whose password is changed or reset. The context's OnModelCreating calls
    /// <see cref="ApplyServerSessionModel"/>.
    /// </summary>
    public static IdentityBuilder AddServerSideSessions<TContext>(this IdentityBuilder builder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddSingleton<DatabaseTicketStore<TContext>>();
        services.AddSingleton<IUserSessionStore>(sp => sp.GetRequiredService<DatabaseTicketStore<TContext>>());
        services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<DatabaseTicketStore<TContext>>((options, store) => options.SessionStore = store);
        return builder;
    }

    /// <summary>The <c>UserSessions</c> table, its indexes, and its cascade from the users table.</summary>
    public static ModelBuilder ApplyServerSessionModel(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<UserSession>(b =>
        {
            b.ToTable("UserSessions");
            b.HasKey(x => x.Id);
            b.Property(x => x.Id).HasMaxLength(64);
            b.Property(x => x.UserId).HasMaxLength(36);
            b.Property(x => x.IpAddress).HasMaxLength(45);
            b.Property(x => x.UserAgent).HasMaxLength(200);
            b.HasIndex(x => x.UserId);
            b.HasIndex(x => x.ExpiresUtc);
            b.HasOne<TwoFactorUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        return modelBuilder;
    }
}
