using System.Reflection;

namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>
/// Every page state the accessibility audit checks, one line each. <see cref="AccessibilityTests.EveryPageOfTheSiteHasAnAuditEntry"/>
/// fails when a Razor page of the site has no line here, and each story test fails unless it audited every line of its story.
/// </summary>
/// <remarks>
/// To add a page: add a line per state here (the page's view-engine path, the story that reaches it, what it shows), then in
/// that story's test of <see cref="AccessibilityTests"/> reach the state with the page objects and call
/// <c>await audit.CheckAsync(page, AuditCatalog.TheNewLine)</c>. A page that belongs to no existing story gets a new
/// <see cref="AuditStory"/> value and a test of its own ending with <c>audit.ExpectAuditedAll(AuditStory.New)</c>.
/// </remarks>
public static class AuditCatalog
{
    /// <summary>The <see cref="AuditedState.Page"/> of the pages written without Razor (<c>StaticErrorPage</c>).</summary>
    public const string StaticPage = "(static)";

    /// <summary>Razor pages that never render: GET redirects, POST signs out and redirects.</summary>
    public static readonly IReadOnlyDictionary<string, string> PagesThatRenderNothing = new Dictionary<string, string>
    {
        ["/Logout"] = "GET redirects to the home page; POST signs out and redirects to /login",
    };

    // Signing up: the forms anyone reaches, and the steps of a new account.
    public static readonly AuditedState HomeSignedOut = new("/Index", AuditStory.SignUp, "signed out");
    public static readonly AuditedState About = new("/About", AuditStory.SignUp, "signed out");
    public static readonly AuditedState SignupEmpty = new("/Signup", AuditStory.SignUp, "empty form");
    public static readonly AuditedState SignupErrors = new("/Signup", AuditStory.SignUp, "bad email, phone and confirmation shown");
    public static readonly AuditedState ConfirmPhoneEmpty = new("/ConfirmPhone", AuditStory.SignUp, "empty form");
    public static readonly AuditedState ConfirmPhoneCreated = new("/ConfirmPhone", AuditStory.SignUp, "account created, code texted");
    public static readonly AuditedState ConfirmPhoneErrors = new("/ConfirmPhone", AuditStory.SignUp, "submitted without a code");
    public static readonly AuditedState ConfirmPhoneWrongCode = new("/ConfirmPhone", AuditStory.SignUp, "wrong code");
    public static readonly AuditedState ConfirmPhoneResent = new("/ConfirmPhone", AuditStory.SignUp, "code sent again");
    public static readonly AuditedState RecoveryCodesNone = new("/RecoveryCodes", AuditStory.SignUp, "nothing to show");
    public static readonly AuditedState RecoveryCodesShown = new("/RecoveryCodes", AuditStory.SignUp, "phone confirmed, ten codes shown");
    public static readonly AuditedState LoginPrefilled = new("/Login", AuditStory.SignUp, "email prefilled after signup");
    public static readonly AuditedState LoginEmpty = new("/Login", AuditStory.SignUp, "empty form");
    public static readonly AuditedState LoginErrors = new("/Login", AuditStory.SignUp, "submitted empty");
    public static readonly AuditedState LoginWrongPassword = new("/Login", AuditStory.SignUp, "wrong password");

    // The lock and the ways to unlock.
    public static readonly AuditedState UnlockEmpty = new("/Unlock", AuditStory.Lockout, "empty form");
    public static readonly AuditedState UnlockLocked = new("/Unlock", AuditStory.Lockout, "locked, code texted");
    public static readonly AuditedState UnlockErrors = new("/Unlock", AuditStory.Lockout, "submitted without a code");
    public static readonly AuditedState UnlockWrongCode = new("/Unlock", AuditStory.Lockout, "wrong code");
    public static readonly AuditedState UnlockResent = new("/Unlock", AuditStory.Lockout, "code sent again");
    public static readonly AuditedState UnlockSendFailed = new("/Unlock", AuditStory.Lockout, "RingCentral refused the text: try again in 42 seconds");
    public static readonly AuditedState UnlockStillLocked = new("/Unlock", AuditStory.Lockout, "the right password while locked");
    public static readonly AuditedState UnlockRecoveryEmpty = new("/Unlock", AuditStory.Lockout, "recovery-code form");
    public static readonly AuditedState UnlockRecoveryWrong = new("/Unlock", AuditStory.Lockout, "wrong recovery code");
    public static readonly AuditedState LoginUnlocked = new("/Login", AuditStory.Lockout, "unlocked");

    // A forgotten password.
    public static readonly AuditedState ResetEmpty = new("/ResetPassword", AuditStory.ResetPassword, "step 1, empty form");
    public static readonly AuditedState ResetErrors = new("/ResetPassword", AuditStory.ResetPassword, "step 1 submitted empty");
    public static readonly AuditedState ResetCodeSent = new("/ResetPassword", AuditStory.ResetPassword, "step 2, code sent");
    public static readonly AuditedState ResetCodeErrors = new("/ResetPassword", AuditStory.ResetPassword, "step 2 with passwords that differ");
    public static readonly AuditedState ResetWrongCode = new("/ResetPassword", AuditStory.ResetPassword, "step 2, wrong code");
    public static readonly AuditedState ResetRecoveryEmpty = new("/ResetPassword", AuditStory.ResetPassword, "recovery-code form");
    public static readonly AuditedState ResetRecoveryWrong = new("/ResetPassword", AuditStory.ResetPassword, "wrong recovery code");
    public static readonly AuditedState LoginPasswordReset = new("/Login", AuditStory.ResetPassword, "password changed");

    // Signed in: the account and its settings.
    public static readonly AuditedState HomeSignedIn = new("/Index", AuditStory.SignedIn, "signed in");
    public static readonly AuditedState AboutSignedIn = new("/About", AuditStory.SignedIn, "signed in");
    public static readonly AuditedState Account = new("/Account/Index", AuditStory.SignedIn, "two sessions, activity");
    public static readonly AuditedState AccountWithFlash = new("/Account/Index", AuditStory.SignedIn, "password changed, others signed out");
    public static readonly AuditedState PasswordEmpty = new("/Account/Password", AuditStory.SignedIn, "empty form");
    public static readonly AuditedState PasswordErrors = new("/Account/Password", AuditStory.SignedIn, "submitted empty");
    public static readonly AuditedState PasswordWrongCurrent = new("/Account/Password", AuditStory.SignedIn, "wrong current password");
    public static readonly AuditedState PhoneEmpty = new("/Account/Phone", AuditStory.SignedIn, "step 1, empty form");
    public static readonly AuditedState PhoneErrors = new("/Account/Phone", AuditStory.SignedIn, "step 1 submitted with a bad number");
    public static readonly AuditedState PhoneCodesSent = new("/Account/Phone", AuditStory.SignedIn, "step 2, both codes asked");
    public static readonly AuditedState PhoneCodeRejected = new("/Account/Phone", AuditStory.SignedIn, "a wrong code");
    public static readonly AuditedState PhoneRecoveryApproval = new("/Account/Phone", AuditStory.SignedIn, "step 2, new code and a recovery code asked");
    public static readonly AuditedState NewRecoveryCodesEmpty = new("/Account/RecoveryCodes", AuditStory.SignedIn, "empty form");
    public static readonly AuditedState NewRecoveryCodesErrors = new("/Account/RecoveryCodes", AuditStory.SignedIn, "submitted empty");
    public static readonly AuditedState RecoveryCodesNewSet = new("/RecoveryCodes", AuditStory.SignedIn, "a new set shown");
    public static readonly AuditedState TwoFactorOff = new("/Account/TwoFactor", AuditStory.SignedIn, "off, empty form");
    public static readonly AuditedState TwoFactorWrong = new("/Account/TwoFactor", AuditStory.SignedIn, "wrong current password");
    public static readonly AuditedState AccountTwoFactorOn = new("/Account/Index", AuditStory.SignedIn, "code at sign-in turned on");
    public static readonly AuditedState TwoFactorOn = new("/Account/TwoFactor", AuditStory.SignedIn, "on");
    public static readonly AuditedState LoginSignedOut = new("/Login", AuditStory.SignedIn, "signed out");

    // The texted code at every sign-in.
    public static readonly AuditedState LoginCodeSent = new("/LoginCode", AuditStory.SignInCode, "code texted");
    public static readonly AuditedState LoginCodeErrors = new("/LoginCode", AuditStory.SignInCode, "submitted without a code");
    public static readonly AuditedState LoginCodeWrong = new("/LoginCode", AuditStory.SignInCode, "wrong code");
    public static readonly AuditedState LoginCodeResent = new("/LoginCode", AuditStory.SignInCode, "code sent again");
    public static readonly AuditedState LoginCodePleaseWait = new("/LoginCode", AuditStory.SignInCode, "texts to the account capped: please try again later");
    public static readonly AuditedState LoginCodeRecoveryEmpty = new("/LoginCode", AuditStory.SignInCode, "recovery-code form");
    public static readonly AuditedState LoginCodeRecoveryWrong = new("/LoginCode", AuditStory.SignInCode, "wrong recovery code");

    // The authenticator app: set up, used at sign-in, to unlock and to reset the password.
    public static readonly AuditedState AuthenticatorNone = new("/Account/Authenticator", AuditStory.Authenticator, "no app, empty form");
    public static readonly AuditedState AuthenticatorWrongPassword = new("/Account/Authenticator", AuditStory.Authenticator, "wrong current password");
    public static readonly AuditedState AuthenticatorSetupShown = new("/Account/Authenticator", AuditStory.Authenticator, "QR code, key and the code form shown");
    public static readonly AuditedState AuthenticatorWrongCode = new("/Account/Authenticator", AuditStory.Authenticator, "wrong confirmation code");
    public static readonly AuditedState AccountAppSetUp = new("/Account/Index", AuditStory.Authenticator, "app set up");
    public static readonly AuditedState AuthenticatorManage = new("/Account/Authenticator", AuditStory.Authenticator, "app set up: new-app and removal forms");
    public static readonly AuditedState LoginCodeApp = new("/LoginCode", AuditStory.Authenticator, "app's form, nothing texted");
    public static readonly AuditedState LoginCodeAppErrors = new("/LoginCode", AuditStory.Authenticator, "app's form submitted without a code");
    public static readonly AuditedState LoginCodeAppWrong = new("/LoginCode", AuditStory.Authenticator, "wrong app code");
    public static readonly AuditedState LoginCodeTextedWithApp = new("/LoginCode", AuditStory.Authenticator, "code texted on request, the app offered");
    public static readonly AuditedState UnlockAppEmpty = new("/Unlock", AuditStory.Authenticator, "app form, email prefilled");
    public static readonly AuditedState UnlockAppWrong = new("/Unlock", AuditStory.Authenticator, "wrong app code");
    public static readonly AuditedState ResetAppEmpty = new("/ResetPassword", AuditStory.Authenticator, "app form");
    public static readonly AuditedState ResetAppWrong = new("/ResetPassword", AuditStory.Authenticator, "wrong app code");
    public static readonly AuditedState AccountAppRemoved = new("/Account/Index", AuditStory.Authenticator, "app removed");

    // Error pages: the Razor one for every status, and the two written without Razor.
    public static readonly AuditedState NotFound = new("/Error", AuditStory.Errors, "404 for an unknown address");
    public static readonly AuditedState NotFoundSignedIn = new("/Error", AuditStory.Errors, "404, signed in");
    public static readonly AuditedState TooManyRequests = new("/Error", AuditStory.Errors, "429");
    public static readonly AuditedState ServerError = new("/Error", AuditStory.Errors, "500");
    public static readonly AuditedState Busy = new(StaticPage, AuditStory.Errors, "busy (503 of the hashing gate)");
    public static readonly AuditedState DatabaseOutage = new(StaticPage, AuditStory.Errors, "database outage (503)");

    // The support console (agents only).
    public static readonly AuditedState SupportEmpty = new("/Support/Index", AuditStory.Support, "empty search form");
    public static readonly AuditedState SupportErrors = new("/Support/Index", AuditStory.Support, "searched without an email");
    public static readonly AuditedState SupportNoAccount = new("/Support/Index", AuditStory.Support, "no account with that email");
    public static readonly AuditedState SupportAccountLocked = new("/Support/Account", AuditStory.Support, "a locked caller, activity");
    public static readonly AuditedState SupportAccountWrongPassword = new("/Support/Account", AuditStory.Support, "the agent's wrong password");
    public static readonly AuditedState SupportAccountUnlocked = new("/Support/Account", AuditStory.Support, "unlocked by support");

    // The development outbox (Development without RingCentral settings).
    public static readonly AuditedState OutboxEmpty = new("/Dev/Outbox", AuditStory.DevelopmentOutbox, "no texts yet");
    public static readonly AuditedState OutboxWithTexts = new("/Dev/Outbox", AuditStory.DevelopmentOutbox, "texts of a signup");

    /// <summary>Every line above.</summary>
    public static IReadOnlyList<AuditedState> All { get; } =
        [.. typeof(AuditCatalog).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(AuditedState))
            .Select(f => (AuditedState)f.GetValue(null)!)];
}
