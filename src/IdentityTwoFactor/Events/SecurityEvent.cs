namespace IdentityTwoFactor.Events;

/// <summary>One security event of an account (a lock, a texted code, a wrong code, an unlock...), for its owner's activity
/// page and for support. Never holds a code, password, token or phone number.</summary>
public class SecurityEvent
{
    /// <summary>The row's key.</summary>
    public long Id { get; set; }

    /// <summary>The user's id as Identity's <c>UserManager.GetUserIdAsync</c> writes it.</summary>
    public string UserId { get; set; } = "";

    /// <summary>What happened: one of <see cref="SecurityEventKinds"/>, or a kind of the app's own.</summary>
    public string Kind { get; set; } = "";

    /// <summary>When it happened (UTC).</summary>
    public DateTime AtUtc { get; set; }

    /// <summary>The client's address as the app sees it (behind a proxy: after the forwarded headers are applied).</summary>
    public string? IpAddress { get; set; }

    /// <summary>The client's user agent, without control characters, at most 200 characters.</summary>
    public string? UserAgent { get; set; }

    /// <summary>A short note the app shows beside the event (for example which account an agent acted on); never a secret.</summary>
    public string? Detail { get; set; }
}

/// <summary>The kinds of event the library records itself. An app may record kinds of its own beside them.</summary>
public static class SecurityEventKinds
{
    /// <summary>A wrong password was entered (recorded by the library's sign-in manager).</summary>
    public const string PasswordFailed = "PasswordFailed";

    /// <summary>The account locked.</summary>
    public const string Locked = "Locked";

    /// <summary>A code was texted.</summary>
    public const string CodeSent = "CodeSent";

    /// <summary>A wrong, expired or already tried code was entered to unlock.</summary>
    public const string CodeFailed = "CodeFailed";

    /// <summary>The account was unlocked with a texted code.</summary>
    public const string Unlocked = "Unlocked";
}
