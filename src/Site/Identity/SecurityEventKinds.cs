namespace IdentityTwoFactor.Identity;

/// <summary>The site's kinds of security event, with the sentence the account page shows for each. The events themselves
/// are the library's (<see cref="IdentityTwoFactor.Events.SecurityEvent"/>), and the kinds the library records share its
/// names.</summary>
public static class SecurityEventKinds
{
    public const string SignedUp = "SignedUp";
    public const string SignedIn = "SignedIn";
    public const string PasswordFailed = IdentityTwoFactor.Events.SecurityEventKinds.PasswordFailed;
    public const string Locked = IdentityTwoFactor.Events.SecurityEventKinds.Locked;
    public const string CodeSent = IdentityTwoFactor.Events.SecurityEventKinds.CodeSent;
    public const string CodeFailed = IdentityTwoFactor.Events.SecurityEventKinds.CodeFailed;
    public const string Unlocked = IdentityTwoFactor.Events.SecurityEventKinds.Unlocked;
    public const string PasswordReset = "PasswordReset";
    public const string PasswordChanged = "PasswordChanged";
    public const string PhoneConfirmed = "PhoneConfirmed";
    public const string PhoneChanged = "PhoneChanged";
    public const string TwoFactorOn = "TwoFactorOn";
    public const string TwoFactorOff = "TwoFactorOff";
    public const string SignedOutElsewhere = "SignedOutElsewhere";
    public const string SessionEnded = "SessionEnded";
    public const string RecoveryCodesGenerated = "RecoveryCodesGenerated";
    public const string RecoveryCodeFailed = "RecoveryCodeFailed";
    public const string UnlockedWithRecoveryCode = "UnlockedWithRecoveryCode";
    public const string PasswordResetWithRecoveryCode = "PasswordResetWithRecoveryCode";
    public const string SignedInWithRecoveryCode = "SignedInWithRecoveryCode";
    public const string PhoneChangedWithRecoveryCode = "PhoneChangedWithRecoveryCode";
    public const string UnlockedBySupport = "UnlockedBySupport";
    public const string SessionsEndedBySupport = "SessionsEndedBySupport";
    public const string PhoneUnconfirmedBySupport = "PhoneUnconfirmedBySupport";
    public const string SupportUnlocked = "SupportUnlocked";
    public const string SupportEndedSessions = "SupportEndedSessions";
    public const string SupportUnconfirmedPhone = "SupportUnconfirmedPhone";
    public const string SupportRoleGranted = "SupportRoleGranted";
    public const string SupportRoleRevoked = "SupportRoleRevoked";
    public const string AuthenticatorAdded = "AuthenticatorAdded";
    public const string AuthenticatorReplaced = "AuthenticatorReplaced";
    public const string AuthenticatorRemoved = "AuthenticatorRemoved";
    public const string AuthenticatorCodeFailed = "AuthenticatorCodeFailed";
    public const string SignedInWithAuthenticator = "SignedInWithAuthenticator";
    public const string UnlockedWithAuthenticator = "UnlockedWithAuthenticator";
    public const string PasswordResetWithAuthenticator = "PasswordResetWithAuthenticator";

    public static string Describe(string kind) => kind switch
    {
        SignedUp => "Account created",
        SignedIn => "Signed in",
        PasswordFailed => "Wrong password entered",
        Locked => "Account locked after too many wrong passwords or codes",
        CodeSent => "Verification code texted",
        CodeFailed => "Wrong or expired verification code entered",
        Unlocked => "Account unlocked with a texted code",
        PasswordReset => "Password reset with a texted code",
        PasswordChanged => "Password changed",
        PhoneConfirmed => "Mobile phone number confirmed",
        PhoneChanged => "Mobile phone number changed",
        TwoFactorOn => "Texted code at every sign-in turned on",
        TwoFactorOff => "Texted code at every sign-in turned off",
        SignedOutElsewhere => "Signed out of every other browser",
        SessionEnded => "Signed out of one browser from the account page",
        RecoveryCodesGenerated => "New recovery codes made (the old ones stopped working)",
        RecoveryCodeFailed => "Wrong recovery code entered",
        UnlockedWithRecoveryCode => "Unlocked with a recovery code",
        PasswordResetWithRecoveryCode => "Password reset with a recovery code",
        SignedInWithRecoveryCode => "Signed in with a recovery code",
        PhoneChangedWithRecoveryCode => "Mobile phone number changed with a recovery code",
        UnlockedBySupport => "Unlocked by support",
        SessionsEndedBySupport => "Signed out of every browser by support",
        PhoneUnconfirmedBySupport => "Support asked for the mobile phone number to be confirmed again",
        SupportUnlocked => "As support: unlocked an account",
        SupportEndedSessions => "As support: signed an account out of every browser",
        SupportUnconfirmedPhone => "As support: asked an account to confirm its phone again",
        SupportRoleGranted => "Support role granted",
        SupportRoleRevoked => "Support role removed",
        AuthenticatorAdded => "Authenticator app added",
        AuthenticatorReplaced => "Authenticator app replaced by a new one (the old one stopped working)",
        AuthenticatorRemoved => "Authenticator app removed",
        AuthenticatorCodeFailed => "Wrong or already used authenticator app code entered",
        SignedInWithAuthenticator => "Signed in with the authenticator app",
        UnlockedWithAuthenticator => "Unlocked with the authenticator app",
        PasswordResetWithAuthenticator => "Password reset with the authenticator app",
        _ => kind,
    };
}
