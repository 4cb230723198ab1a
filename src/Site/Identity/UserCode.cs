namespace IdentityTwoFactor.Identity;

/// <summary>
/// The one live code of a user for one purpose. Only an HMAC of the code is kept (bound to user, purpose and
/// phone), never the code. A new code replaces the row; using or failing it deletes the row.
/// </summary>
public class UserCode
{
    /// <summary>Fresh for every issued code, so consuming one code can never consume its replacement.</summary>
    public Guid Id { get; set; }
    public string UserId { get; set; } = "";
    public string Purpose { get; set; } = "";
    public byte[] CodeHash { get; set; } = [];
    public DateTime CreatedUtc { get; set; }
    public DateTime ExpiresUtc { get; set; }
    /// <summary>When the code was handed to the SMS provider; null for a code generated for a caller that delivers it itself.</summary>
    public DateTime? SentUtc { get; set; }
}
