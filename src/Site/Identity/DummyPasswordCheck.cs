using System.Collections.Concurrent;
using Microsoft.AspNetCore.Identity;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// Spends the same password-hashing work on an unknown email as on a known one, so the time a login or reset
/// takes does not reveal which emails have accounts. Uses the app's own hasher (scoped, as Identity registers it);
/// the dummy hash is made once per hasher type.
/// </summary>
public sealed class DummyPasswordCheck(IPasswordHasher<TwoFactorUser> hasher)
{
    private static readonly ConcurrentDictionary<Type, string> Hashes = new();
    private static readonly TwoFactorUser Nobody = new();

    public void Verify(string? password)
    {
        var hash = Hashes.GetOrAdd(hasher.GetType(), _ => hasher.HashPassword(Nobody, Guid.NewGuid().ToString("N")));
        hasher.VerifyHashedPassword(Nobody, hash, password ?? "");
    }
}
