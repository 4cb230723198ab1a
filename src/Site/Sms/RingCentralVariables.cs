using IdentityTwoFactor.RingCentral;

namespace IdentityTwoFactor.Sms;

/// <summary>The flat settings <c>RINGCENTRAL_*</c> (environment or <c>.env</c>) that the site maps onto
/// <see cref="RingCentralOptions"/>; they win over the <c>RingCentral</c> section when both are set.</summary>
internal static class RingCentralVariables
{
    public const string ServerUrl = "RINGCENTRAL_SERVER_URL";
    public const string ClientId = "RINGCENTRAL_CLIENT_ID";
    public const string ClientSecret = "RINGCENTRAL_CLIENT_SECRET";
    public const string Jwt = "RINGCENTRAL_JWT";
    public const string FromNumber = "RINGCENTRAL_FROM_NUMBER";

    /// <summary>Copies the variables that are set onto <paramref name="options"/>.</summary>
    public static void Apply(RingCentralOptions options, IConfiguration configuration)
    {
        options.ServerUrl = Flat(ServerUrl) ?? options.ServerUrl;
        options.ClientId = Flat(ClientId) ?? options.ClientId;
        options.ClientSecret = Flat(ClientSecret) ?? options.ClientSecret;
        options.Jwt = Flat(Jwt) ?? options.Jwt;
        options.FromNumber = Flat(FromNumber) ?? options.FromNumber;

        string? Flat(string key) => configuration[key] is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
    }

    /// <summary>The variable an operator sets for the option <paramref name="property"/>, or null when it has none.</summary>
    public static string? For(string property) => property switch
    {
        nameof(RingCentralOptions.ServerUrl) => ServerUrl,
        nameof(RingCentralOptions.ClientId) => ClientId,
        nameof(RingCentralOptions.ClientSecret) => ClientSecret,
        nameof(RingCentralOptions.Jwt) => Jwt,
        nameof(RingCentralOptions.FromNumber) => FromNumber,
        _ => null,
    };

    /// <summary>The credential variables that are set (<see cref="RingCentralOptions.ServerUrl"/> has a default, so it does not count).</summary>
    public static IReadOnlyList<string> CredentialsSet(RingCentralOptions options) => Credentials(options, set: true);

    public static IReadOnlyList<string> CredentialsMissing(RingCentralOptions options) => Credentials(options, set: false);

    private static List<string> Credentials(RingCentralOptions options, bool set)
    {
        (string Name, string? Value)[] all =
        [
            (ClientId, options.ClientId),
            (ClientSecret, options.ClientSecret),
            (Jwt, options.Jwt),
            (FromNumber, options.FromNumber),
        ];
        return [.. all.Where(v => string.IsNullOrWhiteSpace(v.Value) != set).Select(v => v.Name)];
    }
}
