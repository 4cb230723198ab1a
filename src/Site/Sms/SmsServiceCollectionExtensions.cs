using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Sms;

public static class SmsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="ISmsSender"/>: RingCentral when <c>RINGCENTRAL_CLIENT_ID</c>, <c>_CLIENT_SECRET</c>,
    /// <c>_JWT</c> and <c>_FROM_NUMBER</c> are all set; the <see cref="DevelopmentOutbox"/> when none is set and the
    /// environment is Development. Anything else stops the host at start with a sentence naming the variables to set.</summary>
    /// <remarks>The choice is made when the options are first read (validated on start), not here, so settings that a
    /// test host adds after this call still count.</remarks>
    public static IHostApplicationBuilder AddSmsSender(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<RingCentralOptions>()
            .BindConfiguration(RingCentralOptions.SectionName)
            .PostConfigure<IConfiguration>(ApplyFlatVariables)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RingCentralOptions>, RingCentralOptionsValidator>());

        services.TryAddSingleton<RingCentralTokenCache>();
        services.AddHttpClient<RingCentralClient>((sp, http) =>
            {
                http.BaseAddress = new Uri(sp.GetRequiredService<IOptions<RingCentralOptions>>().Value.ServerUrl.TrimEnd('/') + "/");
                // Each send is bounded by RingCentralOptions.SendTimeout with our own token, which tells timeouts apart.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            // The factory's Trace-level header logging masks values in the message text but hands the raw values to
            // structured-logging providers in the log state (the Basic credentials, the bearer token). Our own SmsLog
            // lines say what happened, so this client has no factory logging at all.
            .RemoveAllLoggers();

        services.TryAddSingleton<DevelopmentOutbox>();
        services.TryAddTransient<ISmsSender>(sp =>
            sp.GetRequiredService<IOptions<RingCentralOptions>>().Value.IsComplete
                ? sp.GetRequiredService<RingCentralClient>()
                : sp.GetRequiredService<DevelopmentOutbox>());
        services.AddHostedService<SmsSenderStartupLog>();
        return builder;
    }

    private static void ApplyFlatVariables(RingCentralOptions options, IConfiguration configuration)
    {
        options.ServerUrl = Flat(RingCentralOptions.ServerUrlVariable) ?? options.ServerUrl;
        options.ClientId = Flat(RingCentralOptions.ClientIdVariable) ?? options.ClientId;
        options.ClientSecret = Flat(RingCentralOptions.ClientSecretVariable) ?? options.ClientSecret;
        options.Jwt = Flat(RingCentralOptions.JwtVariable) ?? options.Jwt;
        options.FromNumber = Flat(RingCentralOptions.FromNumberVariable) ?? options.FromNumber;

        string? Flat(string key) => configuration[key] is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
    }
}
