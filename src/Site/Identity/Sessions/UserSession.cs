namespace IdentityTwoFactor.Identity.Sessions;

/// <summary>
/// One signed-in browser, kept on the server. The cookie carries only a random session key inside the protected
/// ticket; this row holds the key's SHA-256 (so a database copy cannot be turned into a cookie), the ticket, and what the
/// owner is shown in the session list. Deleting the row ends the session at once.
/// </summary>
public class UserSession
{
    /// <summary>Lower-case hex SHA-256 of the session key the cookie carries.</summary>
    public string Id { get; set; } = "";
    public string UserId { get; set; } = "";
    /// <summary>The authentication ticket, serialized by ASP.NET Core's <c>TicketSerializer</c>.</summary>
    public byte[] Ticket { get; set; } = [];
    public DateTime CreatedUtc { get; set; }
    public DateTime LastSeenUtc { get; set; }
    /// <summary>When the ticket expires (sliding); expired rows are pruned.</summary>
    public DateTime? ExpiresUtc { get; set; }
    public string? IpAddress { get; set; }
    public string? UserAgent { get; set; }
}
