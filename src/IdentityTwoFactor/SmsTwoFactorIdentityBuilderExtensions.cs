using System.ComponentModel.DataAnnotations;
using IdentityTwoFactor.Budgets;
using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Events;
using IdentityTwoFactor.Lockout;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Stores;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor;

/// <summary>The one registration call.</summary>
public static class SmsTwoFactorIdentityBuilderExtensions
{
    /// <summary>
    /// Adds texted codes and the race-free lockout to an Identity app that uses Identity's Entity Framework Core stores:
    /// <code>
    /// services.AddDefaultIdentity&lt;IdentityUser&gt;()
    ///     .AddEntityFrameworkStores&lt;ApplicationDbContext&gt;()
    ///     .AddSmsTwoFactor(o => o.UseSignInManager = true);
    /// </code>
    /// Call it after <c>AddEntityFrameworkStores</c>: it replaces that store with the library's subclass of it
    /// (<see cref="SmsTwoFactorUserStore{TUser, TRole, TContext, TKey}"/> or
    /// <see cref="SmsTwoFactorUserOnlyStore{TUser, TContext, TKey}"/>), so everything Identity's store does keeps working.
    /// It registers the code provider as <see cref="SmsCodeTokenProvider{TUser}.ProviderName"/>, the code sender, the SMS
    /// budgets, the security event log (<see cref="ISecurityEventLog"/>) and <see cref="SmsUnlockService{TUser}"/>. It changes nothing else unless asked:
    /// <see cref="SmsTwoFactorOptions.UseForPasswordReset"/>, <see cref="SmsTwoFactorOptions.UseForPhoneChange"/> and
    /// <see cref="SmsTwoFactorOptions.UseSignInManager"/> are off by default. An <see cref="Sms.ISmsSender"/> must be
    /// registered too (for example with <c>AddRingCentralSms</c> from the IdentityTwoFactor.RingCentral package). The
    /// app's context must call <see cref="SmsTwoFactorModelBuilderExtensions.AddSmsTwoFactor"/> in <c>OnModelCreating</c>.
    /// The options are validated when the host starts.
    /// </summary>
    /// <param name="builder">Identity's builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IdentityBuilder AddSmsTwoFactor(this IdentityBuilder builder, Action<SmsTwoFactorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var probe = new SmsTwoFactorOptions();
        configure(probe);
        builder.Services.AddOptions<SmsTwoFactorOptions>().Configure(configure);
        return Register(builder, probe);
    }

    /// <summary>As <see cref="AddSmsTwoFactor(IdentityBuilder, Action{SmsTwoFactorOptions})"/> with the default options.</summary>
    /// <param name="builder">Identity's builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IdentityBuilder AddSmsTwoFactor(this IdentityBuilder builder) => AddSmsTwoFactor(builder, _ => { });

    /// <summary>As <see cref="AddSmsTwoFactor(IdentityBuilder, Action{SmsTwoFactorOptions}?)"/>, with the options bound
    /// from <paramref name="configuration"/> (usually the <see cref="SmsTwoFactorOptions.SectionName"/> section).</summary>
    /// <param name="builder">Identity's builder.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IdentityBuilder AddSmsTwoFactor(this IdentityBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var probe = new SmsTwoFactorOptions();
        configuration.Bind(probe);
        builder.Services.AddOptions<SmsTwoFactorOptions>().Bind(configuration);
        return Register(builder, probe);
    }

    private static IdentityBuilder Register(IdentityBuilder builder, SmsTwoFactorOptions chosen)
    {
        var services = builder.Services;
        var userType = builder.UserType;
        var contextType = ReplaceStore(builder);
        services.AddOptions<SmsTwoFactorOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SmsTwoFactorOptions>, SmsTwoFactorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISmsCodeGenerator, RandomSmsCodeGenerator>();
        services.TryAddSingleton<SmsCodeHasher>();
        // Who is entering a code: a stranger's wrong guess must not burn the code on the owner's phone.
        services.AddHttpContextAccessor();
        services.TryAddSingleton<ISmsCodeClient, HttpContextSmsCodeClient>();
        // IMeterFactory (a generic host has it already); the instruments record nothing until an exporter listens.
        services.AddMetrics();
        services.TryAddSingleton<SmsTwoFactorMetrics>();
        services.TryAddScoped(sp => new SmsBudget((DbContext)sp.GetRequiredService(contextType),
            sp.GetRequiredService<IOptions<SmsTwoFactorOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<SmsCodeHasher>()));
        services.TryAddScoped<ISecurityEventLog>(sp => new SecurityEventLog((DbContext)sp.GetRequiredService(contextType),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<SmsTwoFactorOptions>>(), sp.GetService<Microsoft.AspNetCore.Http.IHttpContextAccessor>()));
        var provider = typeof(SmsCodeTokenProvider<>).MakeGenericType(userType);
        builder.AddTokenProvider(SmsCodeTokenProvider<object>.ProviderName, provider);
        services.TryAddScoped(typeof(SmsCodeSender<>).MakeGenericType(userType));
        services.TryAddScoped(typeof(SmsUnlockService<>).MakeGenericType(userType));
        if (chosen.UseSignInManager)
        {
            services.AddHttpContextAccessor();
            services.AddScoped(typeof(SignInManager<>).MakeGenericType(userType), typeof(SmsTwoFactorSignInManager<>).MakeGenericType(userType));
        }
        if (chosen.UseForPasswordReset || chosen.UseForPhoneChange)
        {
            services.Configure<IdentityOptions>(o =>
            {
                if (chosen.UseForPasswordReset)
                {
                    o.Tokens.PasswordResetTokenProvider = SmsCodeTokenProvider<object>.ProviderName;
                }
                if (chosen.UseForPhoneChange)
                {
                    o.Tokens.ChangePhoneNumberTokenProvider = SmsCodeTokenProvider<object>.ProviderName;
                }
            });
        }
        return builder;
    }

    /// <summary>Swaps Identity's EF store (registered by <c>AddEntityFrameworkStores</c>) for the library's subclass of the
    /// same store, with the same user, role, context and key types.</summary>
    private static Type ReplaceStore(IdentityBuilder builder)
    {
        var userStore = typeof(IUserStore<>).MakeGenericType(builder.UserType);
        var registered = builder.Services.LastOrDefault(d => d.ServiceType == userStore)?.ImplementationType;
        if (registered is null || !registered.IsGenericType)
        {
            throw new InvalidOperationException("AddSmsTwoFactor needs Identity's Entity Framework Core stores: call AddEntityFrameworkStores<TContext>() before AddSmsTwoFactor().");
        }
        var definition = registered.GetGenericTypeDefinition();
        var args = registered.GetGenericArguments();
        Type ours;
        Type context;
        if (definition.Name.StartsWith("UserStore`", StringComparison.Ordinal) && definition.Namespace == typeof(UserStore).Namespace)
        {
            // UserStore<TUser, TRole, TContext, TKey, ...claim types>
            context = args[2];
            ours = typeof(SmsTwoFactorUserStore<,,,>).MakeGenericType(args[0], args[1], args[2], args[3]);
        }
        else if (definition.Name.StartsWith("UserOnlyStore`", StringComparison.Ordinal) && definition.Namespace == typeof(UserStore).Namespace)
        {
            // UserOnlyStore<TUser, TContext, TKey, ...claim types>
            context = args[1];
            ours = typeof(SmsTwoFactorUserOnlyStore<,,>).MakeGenericType(args[0], args[1], args[2]);
        }
        else
        {
            throw new InvalidOperationException($"AddSmsTwoFactor extends Identity's Entity Framework Core stores; the registered user store {registered.Name} is not one.");
        }
        if (!registered.IsAssignableFrom(ours))
        {
            throw new InvalidOperationException($"AddSmsTwoFactor supports Identity's default claim, login and token entity types; the context {context.Name} uses others.");
        }
        builder.Services.Replace(ServiceDescriptor.Scoped(userStore, ours));
        return context;
    }
}

/// <summary>Checks <see cref="SmsTwoFactorOptions"/> at start: one sentence per problem, naming the setting.</summary>
internal sealed class SmsTwoFactorOptionsValidator : IValidateOptions<SmsTwoFactorOptions>
{
    public ValidateOptionsResult Validate(string? name, SmsTwoFactorOptions options)
    {
        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);
        var failures = errors.Select(e => e.ErrorMessage ?? "SmsTwoFactor: invalid setting.").ToList();
        if (string.IsNullOrWhiteSpace(options.MessageTemplate) || !options.MessageTemplate.Contains("{code}", StringComparison.Ordinal))
        {
            failures.Add("SmsTwoFactor:MessageTemplate must contain {code}.");
        }
        if (string.IsNullOrWhiteSpace(options.CodeHashKey) && string.IsNullOrWhiteSpace(options.CodeHashKeyFile))
        {
            failures.Add("SmsTwoFactor:CodeHashKeyFile must name a file when SmsTwoFactor:CodeHashKey is empty.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
