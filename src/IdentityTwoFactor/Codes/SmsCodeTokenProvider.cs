using System.Security.Cryptography;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Stores;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Codes;

/// <summary>
/// Identity's token contract for texted codes, and nothing else: a code is 6 digits from a CSPRNG, lives
/// <see cref="SmsTwoFactorOptions.CodeLifetime"/>, is stored only as a keyed hash bound to user, purpose and number,
/// is compared in constant time, is used at most once (consumed by one conditional delete), and a wrong guess burns
/// it. One live code per user and purpose; a new one replaces the old. It does not text anything:
/// <see cref="SmsCodeSender{TUser}"/> does.
/// </summary>
/// <typeparam name="TUser">The user type.</typeparam>
/// <param name="store">The user store; it must implement <see cref="IUserSmsTwoFactorStore{TUser}"/>.</param>
/// <param name="generator">Makes codes.</param>
/// <param name="hasher">Hashes codes.</param>
/// <param name="time">The clock.</param>
/// <param name="options">The library's options.</param>
/// <param name="metrics">Counts the code checks by purpose and result.</param>
public class SmsCodeTokenProvider<TUser>(
    IUserStore<TUser> store,
    ISmsCodeGenerator generator,
    SmsCodeHasher hasher,
    TimeProvider time,
    IOptions<SmsTwoFactorOptions> options,
    SmsTwoFactorMetrics metrics) : IUserTwoFactorTokenProvider<TUser>
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

    /// <summary>True for the live, unexpired code of <paramref name="purpose"/>, which is consumed; a wrong or expired
    /// code is deleted (burnt), so each code allows one guess.</summary>
    /// <inheritdoc />
    public virtual async Task<bool> ValidateAsync(string purpose, string token, UserManager<TUser> manager, TUser user)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentNullException.ThrowIfNull(manager);
        var live = await Codes.FindCodeAsync(user, purpose, CancellationToken.None);
        if (live is null)
        {
            metrics.RecordCodeCheck(purpose, "missing");
            return false;
        }
        if (time.GetUtcNow().UtcDateTime >= live.ExpiresUtc)
        {
            await Codes.TryConsumeCodeAsync(live, CancellationToken.None);
            metrics.RecordCodeCheck(purpose, "expired");
            return false;
        }
        var candidate = SmsCodeHasher.IsWellFormed(token)
            ? hasher.Hash(await manager.GetUserIdAsync(user), purpose, await PhoneForAsync(purpose, manager, user), token)
            : new byte[32];
        var matches = CryptographicOperations.FixedTimeEquals(candidate, live.CodeHash);
        // Delete exactly the row compared against: a right code is used by one caller only, a wrong one is burnt.
        var consumed = await Codes.TryConsumeCodeAsync(live, CancellationToken.None);
        // A right code that a parallel caller used first is, for this caller, no live code.
        metrics.RecordCodeCheck(purpose, !matches ? "wrong" : consumed ? "valid" : "missing");
        return matches && consumed;
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
