using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Metrics;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

public static class TwoFactorIdentityBuilderExtensions
{
    /// <summary>
    /// Adds the EF Core user store, the texted-code token provider (also used for password reset), the lockout
    /// rule and the <c>TwoFactor</c> options to an Identity setup for <see cref="TwoFactorUser"/>:
    /// <code>services.AddIdentityCore&lt;TwoFactorUser&gt;().AddSmsTwoFactor&lt;MyDbContext&gt;();</code>
    /// The app registers its DbContext (implementing <see cref="ITwoFactorDbContext"/>) and, to text codes, an
    /// <see cref="Sms.ISmsSender"/>.
    /// </summary>
    public static IdentityBuilder AddSmsTwoFactor<TContext>(this IdentityBuilder builder)
        where TContext : DbContext, ITwoFactorDbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.UserType != typeof(TwoFactorUser))
        {
            throw new InvalidOperationException($"AddSmsTwoFactor needs Identity set up for {nameof(TwoFactorUser)}.");
        }
        var services = builder.Services;

        services.AddOptions<TwoFactorOptions>()
            .BindConfiguration(TwoFactorOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<HashingOptions>()
            .BindConfiguration(HashingOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<HashingMetrics>();
        services.TryAddSingleton<HashingGate>();
        services.TryAddSingleton<CorePinning>();
        PinPasswordHashes(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ICodeGenerator, RandomCodeGenerator>();
        services.TryAddSingleton<CodeHasher>();
        // The library's code provider underneath the site's: its generator, hasher (the site's key, named by the site's
        // setting) and options come from the site's TwoFactor section, so there is one place to configure codes.
        services.TryAddSingleton<ISmsCodeGenerator>(sp => sp.GetRequiredService<ICodeGenerator>());
        services.TryAddSingleton(sp => sp.GetRequiredService<CodeHasher>().Codes);
        services.AddTransient<IConfigureOptions<SmsTwoFactorOptions>, SmsTwoFactorOptionsFromTwoFactor>();
        // A stranger's wrong code burns it for the stranger's browser only: the library's client key (the antiforgery
        // cookie and the network) tells the browsers apart.
        services.AddHttpContextAccessor();
        services.TryAddSingleton<ISmsCodeClient, HttpContextSmsCodeClient>();
        // The library's instruments (texts, locks, unlocks, code checks); exported only when Metrics:Enabled.
        services.AddMetrics();
        services.TryAddSingleton<SmsTwoFactorMetrics>();
        services.TryAddSingleton<AuthenticatorMetrics>();
        services.TryAddSingleton<DailyTextsGauge>();
        services.TryAddScoped<DummyPasswordCheck>();
        services.TryAddScoped<ISmsBudget, SmsBudget<TContext>>();
        services.TryAddScoped<ISecurityEventLog>(sp => new SecurityEventLog(sp.GetRequiredService<TContext>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<SmsTwoFactorOptions>>(), sp.GetService<Microsoft.AspNetCore.Http.IHttpContextAccessor>()));
        services.AddTransient<IConfigureOptions<IdentityOptions>, IdentityOptionsFromTwoFactor>();

        builder.AddUserStore<TwoFactorUserStore<TContext>>();
        builder.AddUserManager<TwoFactorUserManager>();
        builder.AddTokenProvider<SmsCodeTokenProvider>(SmsCodeTokenProvider.ProviderName);
        // Codes from an authenticator app (its key needs Data Protection, which the app registers).
        builder.AddTokenProvider<AuthenticatorCodeProvider>(AuthenticatorCodeProvider.ProviderName);

        // Apps that also use sign-in get the lockout-aware SignInManager, whichever registration came first.
        services.TryAddScoped<TwoFactorSignInManager>();
        services.Replace(ServiceDescriptor.Scoped<SignInManager<TwoFactorUser>>(sp => sp.GetRequiredService<TwoFactorSignInManager>()));
        return builder;
    }

    /// <summary>Wraps the password hasher registered so far (Identity's own, or the app's if it registered one first) in
    /// <see cref="CorePinningPasswordHasher{TUser}"/>, keeping its lifetime. Once: a second call finds it wrapped.</summary>
    private static void PinPasswordHashes(IServiceCollection services)
    {
        var hasher = services.LastOrDefault(d => d.ServiceType == typeof(IPasswordHasher<TwoFactorUser>) && !d.IsKeyedService);
        if (hasher is null || hasher.ImplementationType == typeof(CorePinningPasswordHasher<TwoFactorUser>)
            || hasher.ImplementationFactory?.Target is PinnedHasherFactory)
        {
            return;
        }
        services.Remove(hasher);
        services.Add(ServiceDescriptor.Describe(typeof(IPasswordHasher<TwoFactorUser>), new PinnedHasherFactory(hasher).Create, hasher.Lifetime));
    }

    private sealed class PinnedHasherFactory(ServiceDescriptor inner)
    {
        public CorePinningPasswordHasher<TwoFactorUser> Create(IServiceProvider sp)
        {
            var hasher = inner.ImplementationInstance
                ?? inner.ImplementationFactory?.Invoke(sp)
                ?? ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!);
            return new CorePinningPasswordHasher<TwoFactorUser>((IPasswordHasher<TwoFactorUser>)hasher, sp.GetRequiredService<CorePinning>());
        }
    }

    private sealed class SmsTwoFactorOptionsFromTwoFactor(IOptions<TwoFactorOptions> twoFactor) : IConfigureOptions<SmsTwoFactorOptions>
    {
        public void Configure(SmsTwoFactorOptions options)
        {
            options.CodeLifetime = twoFactor.Value.CodeLifetime;
            options.MaxWrongCodesPerDay = twoFactor.Value.MaxWrongCodesPerDay;
            options.RequireConfirmedPhone = twoFactor.Value.RequireConfirmedPhone;
            options.SecurityEventRetention = twoFactor.Value.SecurityEventRetention;
        }
    }

    private sealed class IdentityOptionsFromTwoFactor(IOptions<TwoFactorOptions> twoFactor) : IConfigureOptions<IdentityOptions>
    {
        public void Configure(IdentityOptions options)
        {
            options.Lockout.AllowedForNewUsers = true;
            options.Lockout.MaxFailedAccessAttempts = twoFactor.Value.MaxFailedAccessAttempts;
            // Identity adds this to "now" in its own AccessFailedAsync; our override decides the real end.
            options.Lockout.DefaultLockoutTimeSpan = twoFactor.Value.LockoutDuration ?? TimeSpan.FromDays(3650);
            options.Tokens.PasswordResetTokenProvider = SmsCodeTokenProvider.ProviderName;
            options.Tokens.ChangePhoneNumberTokenProvider = SmsCodeTokenProvider.ProviderName;
        }
    }
}
