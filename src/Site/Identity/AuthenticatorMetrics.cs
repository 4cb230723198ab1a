using IdentityTwoFactor.Metrics;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// <c>identitytwofactor.authenticator.checks</c>: codes from the authenticator app checked, by purpose and result, on the
/// library's meter beside <c>identitytwofactor.code_checks</c> (which counts texted codes only, so its <c>expired</c> and
/// <c>missing</c> keep meaning slow or absent texts). One per service provider, like <see cref="SmsTwoFactorMetrics"/>.
/// Unlocks with the app are counted on <c>identitytwofactor.unlocks</c> (<c>method=authenticator</c>).
/// </summary>
public sealed class AuthenticatorMetrics
{
    private readonly System.Diagnostics.Metrics.Counter<long> _checks;

    public AuthenticatorMetrics(SmsTwoFactorMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _checks = metrics.Meter.CreateCounter<long>("identitytwofactor.authenticator.checks", "{check}",
            "Codes from the authenticator app checked, by purpose (sign-in, unlock, reset) and result (valid, wrong, too-many-tries, not-set-up).");
    }

    /// <summary>Counts one check of an app code.</summary>
    /// <param name="purpose">The token purpose (reduced to its kind, as texted codes' are).</param>
    /// <param name="result">What the check found.</param>
    public void RecordCheck(string purpose, AuthenticatorCheckResult result) =>
        _checks.Add(1, new("purpose", SmsTwoFactorMetrics.PurposeTag(purpose)), new("result", Tag(result)));

    private static string Tag(AuthenticatorCheckResult result) => result switch
    {
        AuthenticatorCheckResult.Valid => "valid",
        AuthenticatorCheckResult.Wrong => "wrong",
        AuthenticatorCheckResult.TooManyTries => "too-many-tries",
        AuthenticatorCheckResult.NotSetUp => "not-set-up",
        _ => "other",
    };
}
