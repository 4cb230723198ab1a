namespace IdentityTwoFactor.Identity;

/// <summary>The roles the site knows. A role is granted with <c>--grant-support EMAIL</c> and revoked with
/// <c>--revoke-support EMAIL</c> (<see cref="SupportRoleCommand"/>).</summary>
public static class SiteRoles
{
    /// <summary>Support agents: the console at /support.</summary>
    public const string Support = "Support";
}
