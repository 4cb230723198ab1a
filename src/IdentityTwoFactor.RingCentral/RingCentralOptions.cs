using IdentityTwoFactor.Sms;

namespace IdentityTwoFactor.RingCentral;

/// <summary>Settings of <see cref="RingCentralClient"/>. Checked when the host starts: a wrong or missing setting stops it
/// with a sentence that names the setting (see <see cref="SettingName"/>); values are never echoed, some are secrets.</summary>
public sealed class RingCentralOptions
{
    /// <summary>The configuration section the settings are usually bound from: <c>RingCentral</c>.</summary>
    public const string SectionName = "RingCentral";

    /// <summary>RingCentral's production API server, the default <see cref="ServerUrl"/>.</summary>
    public const string ProductionServerUrl = "https://platform.ringcentral.com";

    /// <summary>The API server, an absolute http or https URL. The client secret and the JWT are sent to it.</summary>
    public string ServerUrl { get; set; } = ProductionServerUrl;

    /// <summary>The app's client id from the RingCentral Developer Console.</summary>
    public string? ClientId { get; set; }

    /// <summary>The app's client secret (a secret: never logged).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The JWT credential made in the Developer Console (a secret: never logged).</summary>
    public string? Jwt { get; set; }

    /// <summary>An SMS-enabled number of the authorised extension, E.164.</summary>
    public string? FromNumber { get; set; }

    /// <summary>Upper bound for one <see cref="ISmsSender.SendAsync"/>, token request included.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The access token is renewed this long before it expires.</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>True (the default): the settings above must be complete and valid at start. False turns the client
    /// off: start does not check them, and every send fails as <see cref="SmsFailureKind.Misconfigured"/> without
    /// calling RingCentral. For a host that picks another sender at run time when RingCentral is not configured.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How start-up errors name a setting, given its property name (for example <c>FromNumber</c>). By default
    /// the key in the <see cref="SectionName"/> section (<c>RingCentral:FromNumber</c>). A host that reads the settings
    /// from elsewhere, such as environment variables of its own naming, names them here so that an error points at
    /// what the operator sets.</summary>
    public Func<string, string> SettingName { get; set; } = property => $"{SectionName}:{property}";
}
