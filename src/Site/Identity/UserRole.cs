namespace IdentityTwoFactor.Identity;

/// <summary>One role a user holds (table <c>UserRoles</c>), by its normalized name. There is no roles table: the site knows
/// its roles by name (<see cref="SiteRoles"/>). A role is granted or revoked from the command line; when, the user's
/// security activity says.</summary>
public class UserRole
{
    public string UserId { get; set; } = "";

    /// <summary>The role's normalized name (Identity's lookup normalizer: <c>SUPPORT</c>).</summary>
    public string Role { get; set; } = "";
}
