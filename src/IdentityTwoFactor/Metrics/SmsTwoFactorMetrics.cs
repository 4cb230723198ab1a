using System.Diagnostics.Metrics;
using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Lockout;

namespace IdentityTwoFactor.Metrics;

/// <summary>
/// The library's instruments on the <see cref="MeterName"/> meter: texts by purpose and outcome, locks, unlocks by
/// method, code checks by result. One per service provider (made through <see cref="IMeterFactory"/>, so each DI
/// container, and each test host, has its own). Tags come from fixed lists only: a purpose is reduced to its kind (a
/// phone-change purpose carries the new number) and an unknown value becomes <c>other</c>, so no email, user id, phone
/// number or code can reach an exporter.
/// </summary>
public sealed class SmsTwoFactorMetrics
{
    /// <summary>The meter's name, the library's: <c>IdentityTwoFactor</c>. Add it to the exporter
    /// (<c>AddMeter(SmsTwoFactorMetrics.MeterName)</c> with OpenTelemetry).</summary>
    public const string MeterName = "IdentityTwoFactor";

    /// <summary>A text the SMS provider accepted.</summary>
    public const string Sent = "sent";

    /// <summary>A text the SMS provider did not take (down, refused, timed out); its budgets were refunded.</summary>
    public const string ProviderFailed = "provider-failed";

    /// <summary>A text whose request was cancelled (the client went away) before the provider answered.</summary>
    public const string Cancelled = "cancelled";

    private static readonly HashSet<string> Outcomes = new(StringComparer.Ordinal)
    {
        Sent, ProviderFailed, Cancelled,
        "refused-cooldown", "refused-account-hourly-cap", "refused-number-hourly-cap", "refused-number-daily-cap",
        "refused-daily-cap", "refused-signup-share",
    };

    private static readonly HashSet<string> Causes = new(StringComparer.Ordinal)
    {
        LockCauses.Password, LockCauses.Code, LockCauses.RecoveryCode, LockCauses.Authenticator,
    };

    private static readonly HashSet<string> Methods = new(StringComparer.Ordinal)
    {
        UnlockMethods.TextedCode, UnlockMethods.RecoveryCode, UnlockMethods.Authenticator, UnlockMethods.PasswordReset, UnlockMethods.Support,
    };

    private static readonly HashSet<string> Results = new(StringComparer.Ordinal)
    {
        CodeCheckResults.Valid, CodeCheckResults.Wrong, CodeCheckResults.Expired, CodeCheckResults.Missing, CodeCheckResults.TooManyTries,
    };

    private readonly Counter<long> _texts;
    private readonly Counter<long> _locks;
    private readonly Counter<long> _unlocks;
    private readonly Counter<long> _codeChecks;

    /// <summary>Creates the instruments on the <see cref="MeterName"/> meter of <paramref name="meterFactory"/>.</summary>
    /// <param name="meterFactory">The service provider's meter factory.</param>
    public SmsTwoFactorMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _texts = Meter.CreateCounter<long>("identitytwofactor.texts", "{text}",
            "Texts with a code (or a notice) by purpose and outcome: sent, provider-failed, cancelled, or refused by a budget.");
        _locks = Meter.CreateCounter<long>("identitytwofactor.locks", "{lock}",
            "Accounts locked by failed attempts, by cause (password, code, recovery-code, authenticator).");
        _unlocks = Meter.CreateCounter<long>("identitytwofactor.unlocks", "{unlock}",
            "Locked accounts opened again, by method (texted-code, recovery-code, authenticator, password-reset, support).");
        _codeChecks = Meter.CreateCounter<long>("identitytwofactor.code_checks", "{check}",
            "Texted codes checked, by purpose and result (valid, wrong, expired, missing, too-many-tries).");
    }

    /// <summary>The meter, for instruments an app adds beside these (the site's daily texts remaining).</summary>
    public Meter Meter { get; }

    /// <summary>Counts a text.</summary>
    /// <param name="purpose">The code's purpose (reduced to its kind by <see cref="PurposeTag"/>), or <c>notice</c>.</param>
    /// <param name="outcome"><see cref="Sent"/>, <see cref="ProviderFailed"/>, <see cref="Cancelled"/>, or a refusal from
    /// <see cref="RefusedTag"/>.</param>
    public void RecordText(string purpose, string outcome) =>
        _texts.Add(1, new("purpose", PurposeTag(purpose)), new("outcome", Known(Outcomes, outcome)));

    /// <summary>Counts a lock.</summary>
    /// <param name="cause">One of <see cref="LockCauses"/>.</param>
    public void RecordLock(string cause) => _locks.Add(1, new KeyValuePair<string, object?>("cause", Known(Causes, cause)));

    /// <summary>Counts an unlock.</summary>
    /// <param name="method">One of <see cref="UnlockMethods"/>.</param>
    public void RecordUnlock(string method) => _unlocks.Add(1, new KeyValuePair<string, object?>("method", Known(Methods, method)));

    /// <summary>Counts a code check.</summary>
    /// <param name="purpose">The code's purpose (reduced to its kind).</param>
    /// <param name="result">One of <see cref="CodeCheckResults"/>.</param>
    public void RecordCodeCheck(string purpose, string result) =>
        _codeChecks.Add(1, new("purpose", PurposeTag(purpose)), new("result", Known(Results, result)));

    /// <summary>The <c>purpose</c> tag of a token purpose: <c>unlock</c>, <c>reset</c>, <c>sign-in</c>,
    /// <c>confirm-phone</c>, <c>change-phone</c>, <c>approve-phone-change</c>, <c>notice</c> or <c>other</c>.</summary>
    /// <param name="purpose">Identity's or the library's token purpose.</param>
    /// <returns>The tag.</returns>
    public static string PurposeTag(string? purpose) => purpose switch
    {
        SmsTwoFactorLockout.UnlockPurpose => "unlock",
        "ResetPassword" => "reset",
        "TwoFactor" => "sign-in",
        "ConfirmPhone" => "confirm-phone",
        "notice" => "notice",
        _ when purpose?.StartsWith(SmsCodeTokenProvider<object>.ChangePhonePrefix, StringComparison.Ordinal) == true => "change-phone",
        _ when purpose?.StartsWith("ApprovePhoneChange:", StringComparison.Ordinal) == true => "approve-phone-change",
        _ => "other",
    };

    /// <summary>The <c>outcome</c> tag of a budget's refusal: <c>refused-</c> and the budget in kebab case
    /// (<c>Cooldown</c> is <c>refused-cooldown</c>; an account's hourly cap, however named, is
    /// <c>refused-account-hourly-cap</c>).</summary>
    /// <param name="refusal">The refusal's name (an enum value's <c>ToString()</c>).</param>
    /// <returns>The tag.</returns>
    public static string RefusedTag(string refusal) => refusal switch
    {
        "Cooldown" => "refused-cooldown",
        "HourlyCap" or "AccountHourlyCap" => "refused-account-hourly-cap",
        "NumberHourlyCap" => "refused-number-hourly-cap",
        "NumberDailyCap" => "refused-number-daily-cap",
        "DailyCap" => "refused-daily-cap",
        "SignupShare" => "refused-signup-share",
        _ => "other",
    };

    private static string Known(HashSet<string> allowed, string value) => allowed.Contains(value) ? value : "other";
}
