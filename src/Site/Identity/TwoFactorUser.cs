using Microsoft.AspNetCore.Identity;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// The tutorial's user (email, mobile phone, password hash, first and last name) as an ASP.NET Identity user: every
/// column Identity's <see cref="IdentityUser"/> has, in the site's <c>Users</c> table, plus the names and the creation
/// time. Codes are not kept here but in the library's <see cref="SmsCode"/> rows, one per purpose. <see cref="IdentityUser{TKey}.LockoutEnd"/>
/// is stored as a UTC instant in the <c>LockoutEndUtc</c> column (SQLite cannot compare DateTimeOffset values), and
/// <see cref="IdentityUser{TKey}.AccessFailedCount"/> and it are written only by the store's atomic statements.
/// </summary>
public class TwoFactorUser : IdentityUser
{
    /// <summary>A new user: a new id, and lockout on (the tutorial locks every account after three failures).</summary>
    public TwoFactorUser()
    {
        LockoutEnabled = true;
    }

    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";

    public DateTime CreatedUtc { get; set; }

    /// <summary>The id, never the email: a user written into a log line must not name the person.</summary>
    public override string ToString() => Id;
}
