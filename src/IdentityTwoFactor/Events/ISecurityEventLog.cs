namespace IdentityTwoFactor.Events;

/// <summary>Records and reads accounts' security events. The default (<see cref="SecurityEventLog"/>) keeps them in the
/// table <see cref="Stores.SmsTwoFactorModelBuilderExtensions.AddSmsTwoFactor"/> adds, with the client's address and
/// user agent taken from the current request.</summary>
public interface ISecurityEventLog
{
    /// <summary>Records an event of <paramref name="kind"/> for the user, now.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="kind">What happened (<see cref="SecurityEventKinds"/> or the app's own).</param>
    /// <param name="detail">A short note shown beside it; never a secret.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    Task RecordAsync(string userId, string kind, string? detail = null, CancellationToken cancellationToken = default);

    /// <summary>The user's events, newest first.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="page">The page, counting from 1.</param>
    /// <param name="pageSize">Events per page.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The page.</returns>
    Task<IReadOnlyList<SecurityEvent>> ListAsync(string userId, int page, int pageSize, CancellationToken cancellationToken = default);

    /// <summary>How many events the user has.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The count.</returns>
    Task<int> CountAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>How many events of <paramref name="kind"/> the user has since <paramref name="sinceUtc"/>.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="kind">The kind.</param>
    /// <param name="sinceUtc">The start (UTC), exclusive.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The count.</returns>
    Task<int> CountSinceAsync(string userId, string kind, DateTime sinceUtc, CancellationToken cancellationToken = default);

    /// <summary>Deletes the events older than <see cref="SmsTwoFactorOptions.SecurityEventRetention"/>.</summary>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>How many were deleted.</returns>
    Task<int> PruneAsync(CancellationToken cancellationToken = default);
}
