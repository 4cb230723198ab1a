using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Sms;

/// <summary>Fails start with one sentence naming the variables to set. Values are never echoed: some are secrets.</summary>
internal sealed partial class RingCentralOptionsValidator(IHostEnvironment environment) : IValidateOptions<RingCentralOptions>
{
    public ValidateOptionsResult Validate(string? name, RingCentralOptions options)
    {
        if (options.IsEmpty)
        {
            return environment.IsDevelopment()
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"No SMS provider is configured for the {environment.EnvironmentName} environment: set " +
                    $"{JoinNames(options.CredentialVariablesMissing())} (the development outbox is used only in Development).");
        }

        if (!options.IsComplete)
        {
            return ValidateOptionsResult.Fail(
                $"RingCentral is partly configured: set {JoinNames(options.CredentialVariablesMissing())}, " +
                "or unset all RINGCENTRAL_* variables to use the development outbox.");
        }

        var failures = new List<string>();
        if (!Uri.TryCreate(options.ServerUrl, UriKind.Absolute, out var server) ||
            (server.Scheme != Uri.UriSchemeHttps && server.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{RingCentralOptions.ServerUrlVariable} must be an absolute http or https URL such as {RingCentralOptions.ProductionServerUrl}.");
        }
        else if (server.Scheme == Uri.UriSchemeHttp && !environment.IsDevelopment() && !server.IsLoopback)
        {
            // The client secret and the JWT go to this server: in clear text across a network, anyone on the path
            // could send texts as this site. Loopback stays allowed (a local TLS proxy or sidecar; the test servers).
            failures.Add($"{RingCentralOptions.ServerUrlVariable} must be an https URL outside Development (or http to this machine only), such as {RingCentralOptions.ProductionServerUrl}.");
        }

        if (!E164().IsMatch(options.FromNumber!))
        {
            failures.Add($"{RingCentralOptions.FromNumberVariable} must be an E.164 number such as +16505550100.");
        }

        if (options.SendTimeout <= TimeSpan.Zero)
        {
            failures.Add("RingCentral:SendTimeout must be positive.");
        }

        if (options.TokenRenewalMargin < TimeSpan.Zero)
        {
            failures.Add("RingCentral:TokenRenewalMargin must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string JoinNames(IReadOnlyList<string> names) => names.Count switch
    {
        0 => string.Empty,
        1 => names[0],
        _ => $"{string.Join(", ", names.Take(names.Count - 1))} and {names[^1]}",
    };

    [GeneratedRegex(@"^\+[1-9]\d{6,14}$", RegexOptions.CultureInvariant)]
    private static partial Regex E164();
}
