namespace IdentityTwoFactor.Identity;

/// <summary>
/// One unused recovery code of a user: only its HMAC (under the server's code key, bound to the user id) is kept, never
/// the code. Using the code deletes exactly this row; a new set replaces every row of the user.
/// </summary>
public class RecoveryCode
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    public byte[] CodeHash { get; set; } = [];
    public DateTime CreatedUtc { get; set; }
}
