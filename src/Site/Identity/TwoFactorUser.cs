namespace IdentityTwoFactor.Identity;

/// <summary>
/// The tutorial's user row (email, mobile phone, password hash, first and last name, failure count, locked state)
/// plus what ASP.NET Identity needs. Codes are not kept here but in <see cref="UserCode"/>, one row per purpose.
/// Instants are UTC <see cref="DateTime"/> values: EF Core's SQLite provider cannot compare DateTimeOffset.
/// </summary>
public class TwoFactorUser
{
    public string Id { get; set; } = Guid.NewGuid().ToString("D");
    public string? UserName { get; set; }
    public string? NormalizedUserName { get; set; }
    public string? Email { get; set; }
    public string? NormalizedEmail { get; set; }
    public bool EmailConfirmed { get; set; }
    public string? PasswordHash { get; set; }
    public string? SecurityStamp { get; set; }
    public string? ConcurrencyStamp { get; set; } = Guid.NewGuid().ToString("D");

    /// <summary>Mobile phone in E.164 form, for example +16505551234.</summary>
    public string? PhoneNumber { get; set; }
    public bool PhoneNumberConfirmed { get; set; }
    public bool TwoFactorEnabled { get; set; }

    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";

    /// <summary>Consecutive failed passwords. Written only by the store's atomic statements.</summary>
    public int AccessFailedCount { get; set; }
    public bool LockoutEnabled { get; set; } = true;
    /// <summary>Locked while this is in the future (UTC). Written only by the store's atomic statements.</summary>
    public DateTime? LockoutEndUtc { get; set; }

    public DateTime CreatedUtc { get; set; }

    public override string ToString() => Id;
}
