using IdentityTwoFactor.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>Identity's real hasher, counting how many passwords were compared.</summary>
public sealed class CountingPasswordHasher(int iterations = 1000) : IPasswordHasher<TwoFactorUser>
{
    private readonly PasswordHasher<TwoFactorUser> _inner = new(Options.Create(new PasswordHasherOptions { IterationCount = iterations }));
    private int _verifications;

    public int Verifications
    {
        get => Volatile.Read(ref _verifications);
        set => Volatile.Write(ref _verifications, value);
    }

    public string HashPassword(TwoFactorUser user, string password) => _inner.HashPassword(user, password);

    public PasswordVerificationResult VerifyHashedPassword(TwoFactorUser user, string hashedPassword, string providedPassword)
    {
        Interlocked.Increment(ref _verifications);
        return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
    }
}
