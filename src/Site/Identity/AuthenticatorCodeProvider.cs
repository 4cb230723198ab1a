using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>What a code from the authenticator app turned out to be.</summary>
public enum AuthenticatorCheckResult
{
    Valid,
    /// <summary>Not the code of the current step (or the one before or after), or already used: counted.</summary>
    Wrong,
    /// <summary>Not compared: <c>TwoFactor:MaxWrongCodesPerDay</c> tries at the app's codes in the last 24 hours.</summary>
    TooManyTries,
    /// <summary>The account has no confirmed authenticator app.</summary>
    NotSetUp,
}

/// <summary>
/// An <see cref="IUserTwoFactorTokenProvider{TUser}"/> for codes from an authenticator app (RFC 6238), doing better than
/// Identity's <c>AuthenticatorTokenProvider</c>: a code is accepted at most once (the step is recorded by one conditional
/// UPDATE, so a replay within its step, or a code of an earlier step, is refused), the key is kept only as Data Protection
/// ciphertext bound to the user, comparisons are constant time, and tries are counted before they are compared. It
/// generates nothing (the app makes the codes) and works only for the purposes an app may serve: signing in, unlocking
/// and resetting the password; never to prove a phone number.
/// </summary>
public class AuthenticatorCodeProvider(
    IUserStore<TwoFactorUser> store,
    TimeProvider time,
    IOptions<TwoFactorOptions> options,
    AuthenticatorMetrics metrics,
    IDataProtectionProvider? dataProtection = null) : IUserTwoFactorTokenProvider<TwoFactorUser>
{
    public const string ProviderName = "AuthenticatorApp";

    /// <summary>Steps accepted either side of the server's: one (30 s) of clock skew.</summary>
    public const int AllowedSkewSteps = 1;

    private const string ProtectorPurpose = "IdentityTwoFactor.AuthenticatorKey.v1";

    private IUserAuthenticatorStore<TwoFactorUser> Keys => store as IUserAuthenticatorStore<TwoFactorUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserAuthenticatorStore<TwoFactorUser>)} to keep authenticator keys.");

    /// <summary>The purposes an app's code can serve. Phone confirmation and phone changes prove a number: never an app.</summary>
    public static bool Serves(string purpose) =>
        purpose is CodePurposes.SignIn or CodePurposes.Unlock or CodePurposes.ResetPassword;

    /// <summary>True once the user confirmed an app (a pending setup does not count).</summary>
    public virtual async Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<TwoFactorUser> manager, TwoFactorUser user) =>
        dataProtection is not null && (await Keys.FindAuthenticatorAsync(user.Id, CancellationToken.None))?.ProtectedKey is not null;

    /// <summary>The app makes the codes; there is nothing to send.</summary>
    public virtual Task<string> GenerateAsync(string purpose, UserManager<TwoFactorUser> manager, TwoFactorUser user) => Task.FromResult("");

    /// <summary>Identity's call (sign-in): checks and uses the code.</summary>
    public virtual async Task<bool> ValidateAsync(string purpose, string token, UserManager<TwoFactorUser> manager, TwoFactorUser user) =>
        await CheckAsync(purpose, token, user) == AuthenticatorCheckResult.Valid;

    /// <summary>
    /// Checks a code and uses it: the try is counted first (past the day's bound nothing is compared), the code is compared
    /// in constant time against the steps around now, and a match is accepted only by the conditional UPDATE that moves
    /// the last accepted step forward. A wrong purpose is refused without touching anything.
    /// </summary>
    public virtual async Task<AuthenticatorCheckResult> CheckAsync(string purpose, string? code, TwoFactorUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var result = await CheckAndUseAsync(purpose, code, user, cancellationToken);
        metrics.RecordCheck(purpose, result);
        return result;
    }

    private async Task<AuthenticatorCheckResult> CheckAndUseAsync(string purpose, string? code, TwoFactorUser user, CancellationToken cancellationToken)
    {
        if (!Serves(purpose) || dataProtection is null)
        {
            return AuthenticatorCheckResult.Wrong;
        }
        var row = await Keys.FindAuthenticatorAsync(user.Id, cancellationToken);
        if (row?.ProtectedKey is not { } protectedKey)
        {
            return AuthenticatorCheckResult.NotSetUp;
        }
        var now = time.GetUtcNow();
        if (!await Keys.TryCountAuthenticatorTryAsync(user.Id, options.Value.MaxWrongCodesPerDay, now.UtcDateTime - TimeSpan.FromDays(1), now.UtcDateTime, cancellationToken))
        {
            return AuthenticatorCheckResult.TooManyTries;
        }
        var step = MatchStep(user.Id, protectedKey, code, now);
        return step is { } matched && await Keys.TryAcceptAuthenticatorStepAsync(user.Id, protectedKey, matched, cancellationToken)
            ? AuthenticatorCheckResult.Valid
            : AuthenticatorCheckResult.Wrong;
    }

    /// <summary>A new 160-bit key from the CSPRNG and its protected form (to store).</summary>
    public virtual (byte[] Key, string Protected) NewKey(string userId)
    {
        var key = RandomNumberGenerator.GetBytes(Totp.KeyBytes);
        return (key, Protect(userId, key));
    }

    /// <summary>The step of <paramref name="code"/> for a protected key within the allowed skew of now, or null (also
    /// for a key that does not open: another user's, or one whose Data Protection key is gone).</summary>
    public virtual long? MatchStep(string userId, string protectedKey, string? code, DateTimeOffset now)
    {
        var key = Unprotect(userId, protectedKey);
        if (key is null)
        {
            return null;
        }
        try
        {
            var step = Totp.StepAt(now);
            return Totp.MatchStep(key, code, step - AllowedSkewSteps, step + AllowedSkewSteps);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The key of a protected value, or null when it does not open.</summary>
    public virtual byte[]? Unprotect(string userId, string protectedKey)
    {
        try
        {
            return Protector(userId).Unprotect(Convert.FromBase64String(protectedKey));
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return null;
        }
    }

    private string Protect(string userId, byte[] key) => Convert.ToBase64String(Protector(userId).Protect(key));

    /// <summary>One purpose per user: a row copied onto another account does not open there.</summary>
    private IDataProtector Protector(string userId) =>
        (dataProtection ?? throw new InvalidOperationException("The authenticator app needs ASP.NET Core Data Protection (services.AddDataProtection())."))
            .CreateProtector(ProtectorPurpose, userId);
}
