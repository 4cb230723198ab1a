namespace IdentityTwoFactor.Stores;

/// <summary>A texted code as stored: only its keyed hash, bound to the user, the purpose and the number it went to.
/// One row per user and purpose; a new code replaces the old one.</summary>
public class SmsCode
{
    /// <summary>The row's key. A code is consumed by deleting exactly this row, so only one caller can use it.</summary>
    public Guid Id { get; set; }

    /// <summary>The user's id as Identity's <c>UserManager.GetUserIdAsync</c> writes it.</summary>
    public string UserId { get; set; } = "";

    /// <summary>What the code is for (Identity's token purpose, for example <c>ResetPassword</c>).</summary>
    public string Purpose { get; set; } = "";

    /// <summary>HMAC-SHA256 of user, purpose, phone number and code under the server's key.</summary>
    public byte[] CodeHash { get; set; } = [];

    /// <summary>When the code was made (UTC).</summary>
    public DateTime CreatedUtc { get; set; }

    /// <summary>From this instant (UTC) the code is refused and deleted.</summary>
    public DateTime ExpiresUtc { get; set; }
}

/// <summary>One SMS budget: how many texts were sent under a key (an account, a number, the site's day) in the current
/// window, and when the last one went.</summary>
public class SmsBudgetEntry
{
    /// <summary>What the budget counts; emails and numbers appear only as keyed pseudonyms.</summary>
    public string Key { get; set; } = "";

    /// <summary>Texts sent in the window that started at <see cref="WindowStartUtc"/>.</summary>
    public int CountInWindow { get; set; }

    /// <summary>The start of the current window (UTC), or null before the first text.</summary>
    public DateTime? WindowStartUtc { get; set; }

    /// <summary>When the last text under this key was sent (UTC), for the cooldown.</summary>
    public DateTime? LastSentUtc { get; set; }
}

/// <summary>One client's try at one live code. A client gets one try per code: a wrong one ends that client's use of the
/// code without burning it for the owner's phone. A user's rows of the last day bound the tries at that user's codes
/// (<see cref="SmsTwoFactorOptions.MaxWrongCodesPerDay"/>).</summary>
public class SmsCodeGuess
{
    /// <summary>The row's key.</summary>
    public long Id { get; set; }

    /// <summary>The user's id as Identity's <c>UserManager.GetUserIdAsync</c> writes it.</summary>
    public string UserId { get; set; } = "";

    /// <summary>The <see cref="SmsCode.Id"/> tried; not a foreign key, so the try still counts after the code is gone.</summary>
    public Guid CodeId { get; set; }

    /// <summary>An opaque key of the client (see <see cref="Codes.ISmsCodeClient"/>), never a raw address or cookie.</summary>
    public string ClientKey { get; set; } = "";

    /// <summary>When the try was made (UTC).</summary>
    public DateTime AtUtc { get; set; }
}
