namespace IdentityTwoFactor.Identity;

/// <summary>
/// A user's authenticator app (RFC 6238), one row per user. The key must be read back to check codes, so it cannot be
/// hashed: it is kept only as Data Protection ciphertext under a purpose bound to the user id, whose key ring is itself
/// encrypted with a key kept outside the database (decision 0006). A copy of the database alone yields no key.
/// </summary>
public class AuthenticatorKey
{
    public string UserId { get; set; } = "";

    /// <summary>The confirmed key, protected; null while only a setup is pending. Only a confirmed key is "set up".</summary>
    public string? ProtectedKey { get; set; }

    /// <summary>A key being set up, protected: it replaces <see cref="ProtectedKey"/> only once a code from it is entered.</summary>
    public string? PendingProtectedKey { get; set; }

    public DateTime? PendingSinceUtc { get; set; }
    public DateTime? ConfirmedUtc { get; set; }

    /// <summary>The last 30-second step whose code was accepted. A code is accepted only for a later step, by one
    /// conditional UPDATE, so a code works once and an older one never after a newer one.</summary>
    public long LastStep { get; set; }

    /// <summary>Wrong codes since <see cref="FailedTriesSinceUtc"/>, counted before each comparison (the app's own bound,
    /// which also holds while the account is locked and the lock counts nothing).</summary>
    public int FailedTries { get; set; }
    public DateTime? FailedTriesSinceUtc { get; set; }
}
