using IdentityTwoFactor.RingCentral;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Sms;

public static class SmsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="ISmsSender"/>: RingCentral when <c>RINGCENTRAL_CLIENT_ID</c>, <c>_CLIENT_SECRET</c>,
    /// <c>_JWT</c> and <c>_FROM_NUMBER</c> are all set; the <see cref="DevelopmentOutbox"/> when none is set and the
    /// environment is Development. Anything else stops the host at start with a sentence naming the variables to set.</summary>
    /// <remarks>The choice is made when the options are first read (validated on start), not here, so settings that a
    /// test host adds after this call still count. RingCentral is therefore always registered, and turned off
    /// (<see cref="RingCentralOptions.Enabled"/>) when its credentials are incomplete.</remarks>
    public static IHostApplicationBuilder AddSmsSender(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DevelopmentOutbox>();
        // Before AddRingCentralSms, which makes its client the ISmsSender only when none is registered.
        services.TryAddTransient<ISmsSender>(sp =>
            sp.GetRequiredService<IOptions<RingCentralOptions>>().Value.Enabled
                ? sp.GetRequiredService<RingCentralClient>()
                : sp.GetRequiredService<DevelopmentOutbox>());

        services.AddRingCentralSms();
        services.AddOptions<RingCentralOptions>()
            .BindConfiguration(RingCentralOptions.SectionName)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                RingCentralVariables.Apply(options, configuration);
                var sectionKey = options.SettingName;
                options.SettingName = property => RingCentralVariables.For(property) ?? sectionKey(property);
                // Incomplete credentials: SiteRingCentralOptionsValidator says what to set, or the outbox is used.
                options.Enabled = RingCentralVariables.CredentialsMissing(options).Count == 0;
            });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RingCentralOptions>, SiteRingCentralOptionsValidator>());
        services.AddHostedService<SmsSenderStartupLog>();
        return builder;
    }
}
