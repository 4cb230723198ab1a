namespace IdentityTwoFactor.Tests.E2E.Stories;

/// <summary>One state of one page that the accessibility audit checks: a line of <see cref="AuditCatalog"/>.</summary>
/// <param name="Page">The Razor page that renders it, as its view-engine path (<c>/Account/Phone</c>), or
/// <see cref="AuditCatalog.StaticPage"/> for the pages written without Razor.</param>
/// <param name="Story">The test of <see cref="AccessibilityTests"/> that reaches and audits it.</param>
/// <param name="Name">What is on the page, for the failure message ("wrong password shown").</param>
public sealed record AuditedState(string Page, AuditStory Story, string Name)
{
    public override string ToString() => $"{Page} ({Name})";
}

/// <summary>The stories that reach the audited states, one test each (states are batched per story: one user, one walk).</summary>
public enum AuditStory
{
    SignUp,
    Lockout,
    ResetPassword,
    SignedIn,
    SignInCode,
    Authenticator,
    Errors,
    DevelopmentOutbox,
    Support,
}
