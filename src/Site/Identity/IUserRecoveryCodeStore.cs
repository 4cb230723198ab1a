namespace IdentityTwoFactor.Identity;

/// <summary>Keeps a user's recovery codes as keyed hashes, one row each. Using a code is one conditional DELETE.</summary>
public interface IUserRecoveryCodeStore<TUser> where TUser : class
{
    /// <summary>Replaces every recovery code of the user with <paramref name="codeHashes"/>, in one transaction.</summary>
    Task ReplaceRecoveryCodesAsync(TUser user, IReadOnlyCollection<byte[]> codeHashes, DateTime nowUtc, CancellationToken cancellationToken);

    /// <summary>Deletes the code of <paramref name="userId"/> with this hash. True for the one caller that deleted it.</summary>
    Task<bool> TryUseRecoveryCodeAsync(string userId, byte[] codeHash, CancellationToken cancellationToken);

    Task<int> CountRecoveryCodesAsync(TUser user, CancellationToken cancellationToken);
}
