using IdentityTwoFactor.Stores;

namespace IdentityTwoFactor.Identity;

/// <summary>The library's code and lockout store (<see cref="IUserSmsTwoFactorStore{TUser}"/>) with the removals the site
/// needs: a new phone number ends every outstanding code, and a finished step ends the code of its purpose.</summary>
public interface IUserCodeStore<TUser> : IUserSmsTwoFactorStore<TUser> where TUser : class
{
    /// <summary>Deletes every code of the user (used when the phone number changes).</summary>
    Task RemoveCodesAsync(TUser user, CancellationToken cancellationToken);

    /// <summary>Deletes the user's outstanding code for one purpose (if any).</summary>
    Task RemoveCodeAsync(TUser user, string purpose, CancellationToken cancellationToken);
}
