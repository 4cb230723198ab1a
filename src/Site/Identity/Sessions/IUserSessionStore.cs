namespace IdentityTwoFactor.Identity.Sessions;

/// <summary>The server-side sessions of the users, as the account page and the user manager see them.</summary>
public interface IUserSessionStore
{
    /// <summary>The user's live sessions, most recently seen first.</summary>
    Task<IReadOnlyList<UserSession>> ListAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Ends one session of the user (no effect on another user's session); true when it existed.</summary>
    Task<bool> EndAsync(string userId, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Ends every session of the user except the one the current request is signed in with (all of them outside a
    /// signed-in request); returns how many.</summary>
    Task<int> EndOthersAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Ends every session of the user, the current request's included (support ending another user's sessions);
    /// returns how many.</summary>
    Task<int> EndAllAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Deletes expired sessions; returns how many.</summary>
    Task<int> PruneAsync(CancellationToken cancellationToken = default);
}
