using IdentityTwoFactor.Sms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.RingCentral;

/// <summary>Registration of the RingCentral SMS client.</summary>
public static class RingCentralServiceCollectionExtensions
{
    /// <summary>Registers <see cref="RingCentralClient"/> as a typed <see cref="HttpClient"/> client and, unless an
    /// <see cref="ISmsSender"/> is registered already, as the <see cref="ISmsSender"/>. <see cref="RingCentralOptions"/>
    /// is validated when the host starts: a missing credential, a server URL that is not an absolute http(s) URL or a
    /// from number that is not E.164 stops it with a sentence naming the setting.</summary>
    /// <remarks>To bind the settings from configuration, add them to the same options (start-up errors name the keys
    /// of the <see cref="RingCentralOptions.SectionName"/> section; for another section set
    /// <see cref="RingCentralOptions.SettingName"/> too):
    /// <code>
    /// services.AddRingCentralSms();
    /// services.AddOptions&lt;RingCentralOptions&gt;().BindConfiguration(RingCentralOptions.SectionName);
    /// </code>
    /// The client adds nothing to the HTTP client factory's logging (its header lines would carry the credentials) and
    /// does not check that <see cref="RingCentralOptions.ServerUrl"/> uses https: the host decides where plain http is
    /// acceptable.</remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options in code; runs before any later configuration of them.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddRingCentralSms(this IServiceCollection services, Action<RingCentralOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<RingCentralOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RingCentralOptions>, RingCentralOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RingCentralTokenCache>();
        services.AddMetrics();
        services.TryAddSingleton<RingCentralMetrics>();
        services.AddHttpClient(nameof(RingCentralClient), (sp, http) =>
            {
                http.BaseAddress = new Uri(sp.GetRequiredService<IOptions<RingCentralOptions>>().Value.ServerUrl.TrimEnd('/') + "/");
                // Each send is bounded by RingCentralOptions.SendTimeout with our own token, which tells timeouts apart.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            // The factory's Trace-level header logging masks values in the message text but hands the raw values to
            // structured-logging providers in the log state (the Basic credentials, the bearer token). Our own
            // RingCentralLog lines say what happened, so this client has no factory logging at all.
            .RemoveAllLoggers()
            // Timed inside the client's pipeline: a request's latency, whoever sends it (token or SMS, retries too).
            .AddHttpMessageHandler(sp => new RingCentralMetricsHandler(sp.GetRequiredService<RingCentralMetrics>()))
            // A factory, because the client's constructor takes the internal token cache and so cannot be public.
            .AddTypedClient((http, sp) => new RingCentralClient(
                http,
                sp.GetRequiredService<IOptions<RingCentralOptions>>(),
                sp.GetRequiredService<RingCentralTokenCache>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<RingCentralClient>>(),
                sp.GetRequiredService<RingCentralMetrics>()));
        services.TryAddTransient<ISmsSender>(sp => sp.GetRequiredService<RingCentralClient>());
        return services;
    }
}
