namespace IdentityTwoFactor.Sms;

/// <summary>RingCentral settings: section <c>RingCentral</c>, or the flat variables <c>RINGCENTRAL_*</c>
/// (environment or <c>.env</c>), which win when both are set.</summary>
public sealed class RingCentralOptions
{
    public const string SectionName = "RingCentral";

    public const string ServerUrlVariable = "RINGCENTRAL_SERVER_URL";
    public const string ClientIdVariable = "RINGCENTRAL_CLIENT_ID";
    public const string ClientSecretVariable = "RINGCENTRAL_CLIENT_SECRET";
    public const string JwtVariable = "RINGCENTRAL_JWT";
    public const string FromNumberVariable = "RINGCENTRAL_FROM_NUMBER";

    public const string ProductionServerUrl = "https://platform.ringcentral.com";

    public string ServerUrl { get; set; } = ProductionServerUrl;
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    /// <summary>The JWT credential made in the Developer Console (a secret: never logged).</summary>
    public string? Jwt { get; set; }
    /// <summary>An SMS-enabled number of the authorised extension, E.164.</summary>
    public string? FromNumber { get; set; }
    /// <summary>Upper bound for one <see cref="ISmsSender.SendAsync"/>, token request included.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>The access token is renewed this long before it expires.</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The credential variables that are set (<see cref="ServerUrl"/> has a default, so it does not count).</summary>
    internal IReadOnlyList<string> CredentialVariablesSet() => CredentialVariables(set: true);

    internal IReadOnlyList<string> CredentialVariablesMissing() => CredentialVariables(set: false);

    internal bool IsComplete => CredentialVariablesMissing().Count == 0;

    internal bool IsEmpty => CredentialVariablesSet().Count == 0;

    private List<string> CredentialVariables(bool set)
    {
        (string Name, string? Value)[] all =
        [
            (ClientIdVariable, ClientId),
            (ClientSecretVariable, ClientSecret),
            (JwtVariable, Jwt),
            (FromNumberVariable, FromNumber),
        ];
        return [.. all.Where(v => string.IsNullOrWhiteSpace(v.Value) != set).Select(v => v.Name)];
    }
}
