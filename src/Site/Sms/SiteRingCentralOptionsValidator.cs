using IdentityTwoFactor.RingCentral;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Sms;

/// <summary>The site's rules on top of the RingCentral client's own checks: all four credential variables or none
/// (none means the development outbox, in Development only), and outside Development an https server URL. Fails start
/// with one sentence naming the variables to set. Values are never echoed: some are secrets.</summary>
internal sealed class SiteRingCentralOptionsValidator(IHostEnvironment environment) : IValidateOptions<RingCentralOptions>
{
    public ValidateOptionsResult Validate(string? name, RingCentralOptions options)
    {
        var missing = RingCentralVariables.CredentialsMissing(options);
        if (RingCentralVariables.CredentialsSet(options).Count == 0)
        {
            return environment.IsDevelopment()
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"No SMS provider is configured for the {environment.EnvironmentName} environment: set " +
                    $"{JoinNames(missing)} (the development outbox is used only in Development).");
        }

        if (missing.Count > 0)
        {
            return ValidateOptionsResult.Fail(
                $"RingCentral is partly configured: set {JoinNames(missing)}, " +
                "or unset all RINGCENTRAL_* variables to use the development outbox.");
        }

        // The client checks that the URL is an absolute http(s) URL; which servers may be plain http is the site's call.
        if (Uri.TryCreate(options.ServerUrl, UriKind.Absolute, out var server) &&
            server.Scheme == Uri.UriSchemeHttp && !environment.IsDevelopment() && !server.IsLoopback)
        {
            // The client secret and the JWT go to this server: in clear text across a network, anyone on the path
            // could send texts as this site. Loopback stays allowed (a local TLS proxy or sidecar; the test servers).
            return ValidateOptionsResult.Fail(
                $"{RingCentralVariables.ServerUrl} must be an https URL outside Development (or http to this machine only), such as {RingCentralOptions.ProductionServerUrl}.");
        }

        return ValidateOptionsResult.Success;
    }

    private static string JoinNames(IReadOnlyList<string> names) => names.Count switch
    {
        0 => string.Empty,
        1 => names[0],
        _ => $"{string.Join(", ", names.Take(names.Count - 1))} and {names[^1]}",
    };
}
