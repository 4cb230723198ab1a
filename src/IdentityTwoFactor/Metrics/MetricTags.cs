namespace IdentityTwoFactor.Metrics;

/// <summary>The <c>cause</c> tags of <c>identitytwofactor.locks</c> (<see cref="SmsTwoFactorMetrics.RecordLock"/>).</summary>
public static class LockCauses
{
    /// <summary>Wrong passwords.</summary>
    public const string Password = "password";

    /// <summary>Wrong sign-in or phone-change codes.</summary>
    public const string Code = "code";

    /// <summary>Wrong recovery codes.</summary>
    public const string RecoveryCode = "recovery-code";

    /// <summary>Wrong authenticator-app codes outside sign-in (an app that has an authenticator app).</summary>
    public const string Authenticator = "authenticator";
}

/// <summary>The <c>method</c> tags of <c>identitytwofactor.unlocks</c> (<see cref="SmsTwoFactorMetrics.RecordUnlock"/>).</summary>
public static class UnlockMethods
{
    /// <summary>The texted unlock code.</summary>
    public const string TextedCode = "texted-code";

    /// <summary>A recovery code.</summary>
    public const string RecoveryCode = "recovery-code";

    /// <summary>A code from an authenticator app (an app that has one).</summary>
    public const string Authenticator = "authenticator";

    /// <summary>A password reset (texted or recovery code) of a locked account.</summary>
    public const string PasswordReset = "password-reset";

    /// <summary>A support agent, from an app's support console.</summary>
    public const string Support = "support";
}

/// <summary>The <c>result</c> tags of <c>identitytwofactor.code_checks</c> (<see cref="SmsTwoFactorMetrics.RecordCodeCheck"/>).</summary>
public static class CodeCheckResults
{
    /// <summary>The code matched and was used up.</summary>
    public const string Valid = "valid";

    /// <summary>The code did not match.</summary>
    public const string Wrong = "wrong";

    /// <summary>The code had expired.</summary>
    public const string Expired = "expired";

    /// <summary>No code was outstanding (never sent, already used, or burnt).</summary>
    public const string Missing = "missing";

    /// <summary>The account's wrong tries at its codes reached their bound.</summary>
    public const string TooManyTries = "too-many-tries";
}
