using Microsoft.Playwright;

namespace IdentityTwoFactor.Tests.E2E.Pages;

/// <summary>/account (signed in only): the summary, the links to the settings, and the security activity.</summary>
public sealed class AccountPage(IPage page) : PageObject(page)
{
    public const string Path = "/account";
    public const int EventsPerPage = 20;

    public const string PasswordChanged = "Your password was changed. Every other browser was signed out.";
    public const string SignedOutElsewhere = "Every other browser was signed out.";

    public const string SessionSignedOut = "That browser was signed out.";

    public static string PhoneChanged(string masked) => $"Your mobile phone number is now {masked}. We texted both numbers to say so.";

    /// <summary>The sentences of the "What" column (SecurityEventKinds.Describe).</summary>
    public static class Events
    {
        public const string AccountCreated = "Account created";
        public const string SignedIn = "Signed in";
        public const string WrongPassword = "Wrong password entered";
        public const string Locked = "Account locked after too many wrong passwords or codes";
        public const string CodeTexted = "Verification code texted";
        public const string WrongCode = "Wrong or expired verification code entered";
        public const string Unlocked = "Account unlocked with a texted code";
        public const string PasswordReset = "Password reset with a texted code";
        public const string PasswordChanged = "Password changed";
        public const string PhoneConfirmed = "Mobile phone number confirmed";
        public const string PhoneChanged = "Mobile phone number changed";
        public const string SignInCodeOn = "Texted code at every sign-in turned on";
        public const string SignInCodeOff = "Texted code at every sign-in turned off";
        public const string SignedOutElsewhere = "Signed out of every other browser";
        public const string SessionEnded = "Signed out of one browser from the account page";
        public const string RecoveryCodesMade = "New recovery codes made (the old ones stopped working)";
        public const string RecoveryCodeFailed = "Wrong recovery code entered";
        public const string UnlockedWithRecoveryCode = "Unlocked with a recovery code";
        public const string PasswordResetWithRecoveryCode = "Password reset with a recovery code";
        public const string SignedInWithRecoveryCode = "Signed in with a recovery code";
        public const string PhoneChangedWithRecoveryCode = "Mobile phone number changed with a recovery code";
        public const string AuthenticatorAdded = "Authenticator app added";
        public const string AuthenticatorRemoved = "Authenticator app removed";
        public const string SignedInWithAuthenticator = "Signed in with the authenticator app";
        public const string UnlockedWithAuthenticator = "Unlocked with the authenticator app";
        public const string PasswordResetWithAuthenticator = "Password reset with the authenticator app";
    }

    /// <summary>The value next to a term of the summary list: "Name", "Email", "Mobile phone", "Code at every sign-in".</summary>
    public ILocator Summary(string term) => Main.Locator($"dl.summary dt:text-is(\"{term}\") + dd");

    public ILocator Name => Summary("Name");
    public ILocator Email => Summary("Email");
    public ILocator Phone => Summary("Mobile phone");
    public ILocator SignInCode => Summary("Code at every sign-in");
    public ILocator RecoveryCodesLeft => Summary("Recovery codes");
    public ILocator AuthenticatorApp => Summary("Authenticator app");
    public ILocator NewRecoveryCodesLink => Main.GetByRole(AriaRole.Link, new() { Name = "Get new recovery codes", Exact = true });

    public ILocator ChangePasswordLink => Main.GetByRole(AriaRole.Link, new() { Name = "Change your password", Exact = true });
    public ILocator ChangePhoneLink => Main.GetByRole(AriaRole.Link, new() { Name = "Change your mobile phone number", Exact = true });
    public ILocator TurnOnSignInCodeLink => Main.GetByRole(AriaRole.Link, new() { Name = "Turn on the texted code at every sign-in", Exact = true });
    public ILocator TurnOffSignInCodeLink => Main.GetByRole(AriaRole.Link, new() { Name = "Turn off the texted code at every sign-in", Exact = true });
    public ILocator SignOutEverywhereElseButton => Button("Sign out everywhere else");

    public ILocator SessionsHeading => Main.GetByRole(AriaRole.Heading, new() { Name = "Where you are signed in", Level = 2 });

    /// <summary>One item per live session of this user, named by the browser ("Chrome on Linux").</summary>
    public ILocator Sessions => Main.GetByRole(AriaRole.List, new() { Name = "Where you are signed in", Exact = true }).GetByRole(AriaRole.Listitem);

    /// <summary>The item of this very browser (it says "(this browser)").</summary>
    public ILocator CurrentSession => Sessions.Filter(new() { HasText = "(this browser)" });

    /// <summary>The items whose browser name is <paramref name="browser"/>, for example "Firefox on Android".</summary>
    public ILocator SessionOf(string browser) => Sessions.Filter(new() { HasText = browser });

    /// <summary>The browser names of the sessions, in the page's order.</summary>
    public ILocator SessionBrowsers => Sessions.Locator("strong");

    /// <summary>"From 127.0.0.x. Signed in ... UTC, last seen ... UTC." of each session.</summary>
    public ILocator SessionHints => Sessions.Locator(".hint");

    /// <summary>The Sign out button of a session item ("Sign out", or "Sign out this browser" for the current one).</summary>
    public static ILocator SignOutButtonOf(ILocator session) => session.GetByRole(AriaRole.Button);

    public ILocator ActivityHeading => Main.GetByRole(AriaRole.Heading, new() { Name = "Security activity", Level = 2 });
    public ILocator ActivityTable => Main.Locator("table");
    public ILocator ActivityRows => ActivityTable.Locator("tbody tr");

    /// <summary>The "What" cells, newest first.</summary>
    public ILocator ActivityWhat => ActivityRows.Locator("td:nth-child(2)");

    /// <summary>The "When (UTC)" cells, newest first (yyyy-MM-dd HH:mm:ss).</summary>
    public ILocator ActivityWhen => ActivityRows.Locator("td:nth-child(1)");

    /// <summary>The "From" cells: the masked address, then the short browser name.</summary>
    public ILocator ActivityFrom => ActivityRows.Locator("td:nth-child(3)");

    /// <summary>The short browser name of each "From" cell ("Chrome on Linux").</summary>
    public ILocator ActivityFromBrowser => ActivityFrom.Locator(".hint");

    public ILocator ActivityPages => Main.GetByRole(AriaRole.Navigation, new() { Name = "Security activity pages" });
    public ILocator OlderLink => ActivityPages.GetByRole(AriaRole.Link, new() { Name = "Older", Exact = true });
    public ILocator NewerLink => ActivityPages.GetByRole(AriaRole.Link, new() { Name = "Newer", Exact = true });

    public Task<IResponse> GotoAsync() => GotoPathAsync(Path);
}
