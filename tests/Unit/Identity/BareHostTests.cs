using IdentityTwoFactor.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>Another app's view: its own DbContext and host, AddIdentityCore plus one call, none of the site.</summary>
public sealed class BareHostTests
{
    /// <summary>An Identity user context (the store is Identity's EF store underneath) with the site's tables added.</summary>
    private sealed class OtherAppDbContext(DbContextOptions<OtherAppDbContext> options) : IdentityUserContext<TwoFactorUser>(options), ITwoFactorDbContext
    {
        public DbSet<SmsCode> UserCodes => Set<SmsCode>();
        public DbSet<SmsBudgetEntry> SendBudgets => Set<SmsBudgetEntry>();
        public DbSet<SecurityEvent> SecurityEvents => Set<SecurityEvent>();
        public DbSet<SmsCodeGuess> CodeGuesses => Set<SmsCodeGuess>();
        public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();
        public DbSet<UserRole> UserRoles => Set<UserRole>();
        public DbSet<AuthenticatorKey> AuthenticatorKeys => Set<AuthenticatorKey>();

        protected override void OnModelCreating(ModelBuilder builder)
        {
            base.OnModelCreating(builder);
            builder.ApplyTwoFactorModel();
        }
    }

    [Fact]
    public async Task AnotherIdentityAppLocksOnTheThirdFailureAndUnlocksWithAGeneratedCode()
    {
        var folder = Directory.CreateTempSubdirectory("itf-bare-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = folder, DisableDefaults = true });
        builder.Services.AddLogging();
        builder.Services.AddDbContext<OtherAppDbContext>(o => o.UseSqlite($"Data Source={Path.Combine(folder, "other.db")};Pooling=False"));

        builder.Services.AddIdentityCore<TwoFactorUser>().AddSmsTwoFactor<OtherAppDbContext>();

        using var host = builder.Build();
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<OtherAppDbContext>().Database.EnsureCreatedAsync();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<TwoFactorUser>>();
        var user = new TwoFactorUser { UserName = "a@example.com", Email = "a@example.com", PhoneNumber = "+16505551234" };
        Assert.True((await users.CreateAsync(user, "Passw0rd!long")).Succeeded);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.False(await users.CheckPasswordAsync(user, "wrong"));
            await users.AccessFailedAsync(user);
            Assert.Equal(attempt == 3, await users.IsLockedOutAsync(user));
        }

        var code = await users.GenerateUserTokenAsync(user, SmsCodeTokenProvider.ProviderName, CodePurposes.Unlock);
        var unlocked = await ((TwoFactorUserManager)users).UnlockWithCodeAsync(user, code);

        Assert.Equal(UnlockResult.Unlocked, unlocked);
        Assert.False(await users.IsLockedOutAsync(user));
        Assert.True(File.Exists(Path.Combine(folder, "App_Data", "code-hash.key")));
    }
}
