namespace IdentityTwoFactor.Identity;

/// <summary>
/// One client's try at one live code. A client (a browser's antiforgery cookie and its network) gets one try per
/// code: a wrong one ends that client's use of the code without burning it for the owner's phone. The rows of a user
/// in the last day bound the guesses at that user's codes (<c>TwoFactor:MaxWrongCodesPerDay</c>).
/// </summary>
public class CodeGuess
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    /// <summary>The <see cref="UserCode.Id"/> tried; not a foreign key, so the row still counts after the code is gone.</summary>
    public Guid CodeId { get; set; }
    /// <summary>A hash identifying the client (see <see cref="IdentityTwoFactor.Codes.ISmsCodeClient"/>); never a raw address or cookie.</summary>
    public string ClientKey { get; set; } = "";
    public DateTime AtUtc { get; set; }
}
