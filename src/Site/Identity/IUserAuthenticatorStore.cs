namespace IdentityTwoFactor.Identity;

/// <summary>Keeps a user's authenticator key (protected by the caller) and the state that makes each code single use.
/// Every write that parallel requests race on is one conditional statement.</summary>
public interface IUserAuthenticatorStore<TUser> where TUser : class
{
    Task<AuthenticatorKey?> FindAuthenticatorAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Sets the pending key (a new setup), leaving a confirmed key working until the new one is confirmed.</summary>
    Task SetPendingAuthenticatorKeyAsync(TUser user, string protectedKey, DateTime nowUtc, CancellationToken cancellationToken);

    /// <summary>Makes exactly this pending key the confirmed one, with <paramref name="timeStep"/> as its last accepted step.
    /// False when the pending key changed or went meanwhile.</summary>
    Task<bool> TryConfirmAuthenticatorKeyAsync(string userId, string pendingProtectedKey, long timeStep, DateTime nowUtc, CancellationToken cancellationToken);

    /// <summary>Counts one try at the confirmed key before it is compared: false (nothing counted) once
    /// <paramref name="maxTries"/> tries were counted since <paramref name="windowStartUtc"/>.</summary>
    Task<bool> TryCountAuthenticatorTryAsync(string userId, int maxTries, DateTime windowStartUtc, DateTime nowUtc, CancellationToken cancellationToken);

    /// <summary>Accepts <paramref name="timeStep"/> for exactly this confirmed key when it is later than the last accepted
    /// step, and takes back the try counted for it. True for the one caller whose UPDATE changed the row.</summary>
    Task<bool> TryAcceptAuthenticatorStepAsync(string userId, string protectedKey, long timeStep, CancellationToken cancellationToken);

    /// <summary>Deletes the user's authenticator (confirmed and pending). True when there was a confirmed key.</summary>
    Task<bool> RemoveAuthenticatorAsync(string userId, CancellationToken cancellationToken);
}
