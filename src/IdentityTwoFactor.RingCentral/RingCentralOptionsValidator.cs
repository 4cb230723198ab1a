using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.RingCentral;

/// <summary>Fails start with one sentence per wrong setting, named by <see cref="RingCentralOptions.SettingName"/>.
/// Values are never echoed: some are secrets.</summary>
internal sealed partial class RingCentralOptionsValidator : IValidateOptions<RingCentralOptions>
{
    public ValidateOptionsResult Validate(string? name, RingCentralOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Skip;
        }

        (string Property, string? Value)[] credentials =
        [
            (nameof(RingCentralOptions.ClientId), options.ClientId),
            (nameof(RingCentralOptions.ClientSecret), options.ClientSecret),
            (nameof(RingCentralOptions.Jwt), options.Jwt),
            (nameof(RingCentralOptions.FromNumber), options.FromNumber),
        ];
        var missing = credentials.Where(c => string.IsNullOrWhiteSpace(c.Value)).Select(c => $"{options.SettingName(c.Property)} must be set.").ToList();
        if (missing.Count > 0)
        {
            return ValidateOptionsResult.Fail(missing);
        }

        var failures = new List<string>();
        if (!Uri.TryCreate(options.ServerUrl, UriKind.Absolute, out var server) ||
            (server.Scheme != Uri.UriSchemeHttps && server.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{options.SettingName(nameof(RingCentralOptions.ServerUrl))} must be an absolute http or https URL such as {RingCentralOptions.ProductionServerUrl}.");
        }

        if (!E164().IsMatch(options.FromNumber!))
        {
            failures.Add($"{options.SettingName(nameof(RingCentralOptions.FromNumber))} must be an E.164 number such as +16505550100.");
        }

        if (options.SendTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{options.SettingName(nameof(RingCentralOptions.SendTimeout))} must be positive.");
        }

        if (options.TokenRenewalMargin < TimeSpan.Zero)
        {
            failures.Add($"{options.SettingName(nameof(RingCentralOptions.TokenRenewalMargin))} must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex(@"^\+[1-9]\d{6,14}$", RegexOptions.CultureInvariant)]
    private static partial Regex E164();
}
