using System.Collections.Concurrent;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// Spends the same password-hashing work on an unknown email as on a known one, so the time a login or reset
/// takes does not reveal which emails have accounts. Uses the app's own hasher (scoped, as Identity registers it);
/// the dummy hash is made once per hasher type and hasher settings (a hash carries its own iteration count, so a
/// dummy made under other settings would cost a different time).
/// </summary>
public sealed class DummyPasswordCheck(IPasswordHasher<TwoFactorUser> hasher, IOptions<PasswordHasherOptions>? hasherOptions = null,
    HashingGate? gate = null)
{
    /// <summary><see cref="Verify"/> in a hash slot, as a known email's password check takes one.</summary>
    public Task VerifyAsync(string? password)
    {
        if (gate is not null)
        {
            return gate.RunAsync(() => Verify(password));
        }
        Verify(password);
        return Task.CompletedTask;
    }

    private static readonly ConcurrentDictionary<(Type, int, PasswordHasherCompatibilityMode), string> Hashes = new();
    private static readonly TwoFactorUser Nobody = new();

    public void Verify(string? password)
    {
        var settings = hasherOptions?.Value ?? new PasswordHasherOptions();
        // Keyed by the hasher that does the work: the core-pinning wrapper is the same type around any hasher.
        var worker = hasher is CorePinningPasswordHasher<TwoFactorUser> pinned ? pinned.Inner : hasher;
        var hash = Hashes.GetOrAdd((worker.GetType(), settings.IterationCount, settings.CompatibilityMode),
            _ => hasher.HashPassword(Nobody, Guid.NewGuid().ToString("N")));
        hasher.VerifyHashedPassword(Nobody, hash, password ?? "");
    }
}
