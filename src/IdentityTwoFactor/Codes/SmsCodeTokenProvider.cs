using System.Security.Cryptography;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Stores;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Codes;

/// <summary>
/// Identity's token contract for texted codes, and nothing else: a code is 6 digits from a CSPRNG, lives
/// <see cref="SmsTwoFactorOptions.CodeLifetime"/>, is stored only as a keyed hash bound to user, purpose and number,
/// is compared in constant time, and is used at most once (consumed by one conditional delete). A wrong guess burns it
/// for the client that made it (<see cref="ISmsCodeClient"/>: one try per client and code, recorded before the
/// comparison), not for the owner's phone, and all clients' tries at one user's codes are bounded by
/// <see cref="SmsTwoFactorOptions.MaxWrongCodesPerDay"/>; outside a request a wrong guess burns the code for everyone.
/// One live code per user and purpose; a new one replaces the old. It does not text anything:
/// <see cref="SmsCodeSender{TUser}"/> does.
/// </summary>
/// <typeparam name="TUser">The user type.</typeparam>
/// <param name="store">The user store; it must implement <see cref="IUserSmsTwoFactorStore{TUser}"/>.</param>
/// <param name="generator">Makes codes.</param>
/// <param name="hasher">Hashes codes.</param>
/// <param name="time">The clock.</param>
/// <param name="options">The library's options.</param>
/// <param name="metrics">Counts the code checks by purpose and result.</param>
/// <param name="client">Tells the client of the current request apart.</param>
public class SmsCodeTokenProvider<TUser>(
    IUserStore<TUser> store,
    ISmsCodeGenerator generator,
    SmsCodeHasher hasher,
    TimeProvider time,
    IOptions<SmsTwoFactorOptions> options,
    SmsTwoFactorMetrics metrics,
    ISmsCodeClient client) : IUserTwoFactorTokenProvider<TUser>
    where TUser : class
{
    /// <summary>The name the provider is registered under.</summary>
    public const string ProviderName = "SmsCode";

    /// <summary>Identity's change-phone purposes (<c>ChangePhoneNumber:+1...</c>) carry the number the code goes to.</summary>
    public const string ChangePhonePrefix = "ChangePhoneNumber:";

    private IUserSmsTwoFactorStore<TUser> Codes => store as IUserSmsTwoFactorStore<TUser>
        ?? throw new NotSupportedException($"The user store must implement {nameof(IUserSmsTwoFactorStore<TUser>)}: register it with AddSmsTwoFactor after AddEntityFrameworkStores.");

    /// <summary>A code can be texted when the user has a number (a confirmed one with
    /// <see cref="SmsTwoFactorOptions.RequireConfirmedPhone"/>).</summary>
    /// <inheritdoc />
    public virtual async Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<TUser> manager, TUser user)
    {
        ArgumentNullException.ThrowIfNull(manager);
        return !string.IsNullOrEmpty(await manager.GetPhoneNumberAsync(user))
            && (!options.Value.RequireConfirmedPhone || await manager.IsPhoneNumberConfirmedAsync(user));
    }

    /// <summary>Makes a code, stores its hash as the live code for <paramref name="purpose"/>, and returns it.</summary>
    /// <inheritdoc />
    public virtual async Task<string> GenerateAsync(string purpose, UserManager<TUser> manager, TUser user)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentNullException.ThrowIfNull(manager);
        var code = generator.NewCode();
        if (!SmsCodeHasher.IsWellFormed(code))
        {
            throw new InvalidOperationException("The code generator must return exactly six ASCII digits.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        var userId = await manager.GetUserIdAsync(user);
        await Codes.ReplaceCodeAsync(user, new SmsCode
        {
            Id = Guid.NewGuid(),
            Purpose = purpose,
            CodeHash = hasher.Hash(userId, purpose, await PhoneForAsync(purpose, manager, user), code),
            CreatedUtc = now,
            ExpiresUtc = now + options.Value.CodeLifetime,
        }, CancellationToken.None);
        return code;
    }

    /// <summary>True for the live, unexpired code of <paramref name="purpose"/>, which is consumed. A wrong code ends the
    /// current client's use of it (outside a request: it is burnt for everyone); an expired code is deleted.</summary>
    /// <inheritdoc />
    public virtual async Task<bool> ValidateAsync(string purpose, string token, UserManager<TUser> manager, TUser user)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentNullException.ThrowIfNull(manager);
        var result = await CheckAsync(purpose, token, manager, user);
        metrics.RecordCodeCheck(purpose, result);
        return result == CodeCheckResults.Valid;
    }

    private async Task<string> CheckAsync(string purpose, string token, UserManager<TUser> manager, TUser user)
    {
        var live = await Codes.FindCodeAsync(user, purpose, CancellationToken.None);
        if (live is null)
        {
            return CodeCheckResults.Missing;
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (now >= live.ExpiresUtc)
        {
            await Codes.TryConsumeCodeAsync(live, CancellationToken.None);
            return CodeCheckResults.Expired;
        }
        var clientKey = client.CurrentClientKey();
        if (clientKey is not null)
        {
            // Both statements on every path, so a repeated try costs what a first one does.
            var recorded = await Codes.TryRecordGuessAsync(live, clientKey, now, CancellationToken.None);
            var tries = await Codes.CountGuessesSinceAsync(user, now - TimeSpan.FromDays(1), CancellationToken.None);
            if (!recorded)
            {
                // This client already had its try: for it the code is used up, as if burnt.
                return CodeCheckResults.Missing;
            }
            if (tries > options.Value.MaxWrongCodesPerDay)
            {
                return CodeCheckResults.TooManyTries;
            }
        }
        var candidate = SmsCodeHasher.IsWellFormed(token)
            ? hasher.Hash(await manager.GetUserIdAsync(user), purpose, await PhoneForAsync(purpose, manager, user), token)
            : new byte[32];
        if (CryptographicOperations.FixedTimeEquals(candidate, live.CodeHash))
        {
            // Delete exactly the row compared against: a right code is used by one caller only; for the loser of a
            // parallel race it is no live code.
            if (!await Codes.TryConsumeCodeAsync(live, CancellationToken.None))
            {
                return CodeCheckResults.Missing;
            }
            if (clientKey is not null)
            {
                // The owner's own successes do not count toward the bound.
                await Codes.ForgetGuessAsync(live, clientKey, CancellationToken.None);
            }
            return CodeCheckResults.Valid;
        }
        if (clientKey is null)
        {
            // Where clients cannot be told apart, the plain rule: a wrong guess burns the code for everyone.
            await Codes.TryConsumeCodeAsync(live, CancellationToken.None);
        }
        return CodeCheckResults.Wrong;
    }

    /// <summary>Deletes the live code of <paramref name="purpose"/>, if any (a code whose text did not go).</summary>
    /// <param name="purpose">The purpose.</param>
    /// <param name="user">The user.</param>
    /// <returns>A task.</returns>
    public virtual async Task RemoveAsync(string purpose, TUser user)
    {
        if (await Codes.FindCodeAsync(user, purpose, CancellationToken.None) is { } live)
        {
            await Codes.TryConsumeCodeAsync(live, CancellationToken.None);
        }
    }

    /// <summary>The number a code of <paramref name="purpose"/> is texted to and bound to.</summary>
    /// <param name="purpose">The purpose.</param>
    /// <param name="manager">The user manager.</param>
    /// <param name="user">The user.</param>
    /// <returns>The number, or null when the user has none.</returns>
    public virtual async Task<string?> PhoneForAsync(string purpose, UserManager<TUser> manager, TUser user)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        ArgumentNullException.ThrowIfNull(manager);
        return purpose.StartsWith(ChangePhonePrefix, StringComparison.Ordinal)
            ? purpose[ChangePhonePrefix.Length..]
            : await manager.GetPhoneNumberAsync(user);
    }
}
