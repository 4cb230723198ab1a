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
        var draft = await DraftAsync(purpose, manager, user);
        await StoreAsync(user, draft);
        return draft.Code;
    }

    /// <summary>Makes a code for <paramref name="purpose"/> without storing it, so a caller can text it first and store it
    /// only once the text went (<see cref="StoreAsync"/>): a failed text then leaves the previous code live.</summary>
    /// <param name="purpose">The purpose.</param>
    /// <param name="manager">The user manager.</param>
    /// <param name="user">The user.</param>
    /// <returns>The code and the row that will hold its hash.</returns>
    public virtual async Task<SmsCodeDraft> DraftAsync(string purpose, UserManager<TUser> manager, TUser user)
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
        return new SmsCodeDraft(code, new SmsCode
        {
            Id = Guid.NewGuid(),
            UserId = userId,
            Purpose = purpose,
            CodeHash = hasher.Hash(userId, purpose, await PhoneForAsync(purpose, manager, user), code),
            CreatedUtc = now,
            ExpiresUtc = now + options.Value.CodeLifetime,
        });
    }

    /// <summary>Makes <paramref name="draft"/> the live code of its purpose, replacing any other.</summary>
    /// <param name="user">The user the draft was made for.</param>
    /// <param name="draft">What <see cref="DraftAsync"/> returned.</param>
    /// <returns>A task.</returns>
    public virtual Task StoreAsync(TUser user, SmsCodeDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return Codes.ReplaceCodeAsync(user, draft.Row, CancellationToken.None);
    }

    /// <summary>True for the live, unexpired code of <paramref name="purpose"/>, which is consumed. A wrong code ends the
    /// current client's use of it (outside a request: it is burnt for everyone); an expired code is deleted.</summary>
    /// <inheritdoc />
    public virtual async Task<bool> ValidateAsync(string purpose, string token, UserManager<TUser> manager, TUser user) =>
        await CheckAsync(purpose, token, manager, user) == SmsCodeCheckResult.Valid;

    /// <summary>Checks <paramref name="token"/> against the live code of <paramref name="purpose"/> and says what it was,
    /// for pages that answer each case differently (<see cref="ValidateAsync"/> is this as a bool). The code is consumed
    /// when right and deleted when expired; a wrong code ends the current client's use of it (outside a request, or for a
    /// purpose <see cref="ClientKeyFor"/> answers null: it is burnt for everyone).</summary>
    /// <param name="purpose">The purpose.</param>
    /// <param name="token">What the user typed.</param>
    /// <param name="manager">The user manager.</param>
    /// <param name="user">The user.</param>
    /// <returns>What the code was.</returns>
    public virtual async Task<SmsCodeCheckResult> CheckAsync(string purpose, string token, UserManager<TUser> manager, TUser user)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentNullException.ThrowIfNull(manager);
        var result = await CheckAndConsumeAsync(purpose, token, manager, user);
        metrics.RecordCodeCheck(purpose, result switch
        {
            SmsCodeCheckResult.Valid => CodeCheckResults.Valid,
            SmsCodeCheckResult.Wrong => CodeCheckResults.Wrong,
            SmsCodeCheckResult.Expired => CodeCheckResults.Expired,
            SmsCodeCheckResult.TooManyTries => CodeCheckResults.TooManyTries,
            _ => CodeCheckResults.Missing,
        });
        return result;
    }

    /// <summary>The key of the client trying a code of <paramref name="purpose"/> (by default the
    /// <see cref="ISmsCodeClient"/>'s), or null for the plain rule: a wrong guess burns the code for everyone. An app
    /// whose form for a purpose must cost a stranger and an owner alike can answer null for it.</summary>
    /// <param name="purpose">The purpose.</param>
    /// <returns>The client's key, or null.</returns>
    protected virtual string? ClientKeyFor(string purpose) => client.CurrentClientKey();

    private async Task<SmsCodeCheckResult> CheckAndConsumeAsync(string purpose, string token, UserManager<TUser> manager, TUser user)
    {
        var live = await Codes.FindCodeAsync(user, purpose, CancellationToken.None);
        if (live is null)
        {
            return SmsCodeCheckResult.Missing;
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (now >= live.ExpiresUtc)
        {
            await Codes.TryConsumeCodeAsync(live, CancellationToken.None);
            return SmsCodeCheckResult.Expired;
        }
        var clientKey = ClientKeyFor(purpose);
        if (clientKey is not null)
        {
            // Both statements on every path, so a repeated try costs what a first one does.
            var recorded = await Codes.TryRecordGuessAsync(live, clientKey, now, CancellationToken.None);
            var tries = await Codes.CountGuessesSinceAsync(user, now - TimeSpan.FromDays(1), CancellationToken.None);
            if (!recorded)
            {
                // This client already had its try: for it the code is used up, as if burnt.
                return SmsCodeCheckResult.Missing;
            }
            if (tries > options.Value.MaxWrongCodesPerDay)
            {
                return SmsCodeCheckResult.TooManyTries;
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
                return SmsCodeCheckResult.Missing;
            }
            if (clientKey is not null)
            {
                // The owner's own successes do not count toward the bound.
                await Codes.ForgetGuessAsync(live, clientKey, CancellationToken.None);
            }
            return SmsCodeCheckResult.Valid;
        }
        if (clientKey is null)
        {
            // Where clients cannot be told apart, the plain rule: a wrong guess burns the code for everyone.
            await Codes.TryConsumeCodeAsync(live, CancellationToken.None);
        }
        return SmsCodeCheckResult.Wrong;
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

/// <summary>A code made by <see cref="SmsCodeTokenProvider{TUser}.DraftAsync"/> and not yet stored.</summary>
/// <param name="Code">The six digits to text; never stored or logged.</param>
/// <param name="Row">The row that holds the code's hash once stored.</param>
public sealed record SmsCodeDraft(string Code, SmsCode Row);

/// <summary>What a submitted code turned out to be.</summary>
public enum SmsCodeCheckResult
{
    /// <summary>The live code: it is now used up.</summary>
    Valid,

    /// <summary>Wrong digits: the code is burnt for the client that tried them.</summary>
    Wrong,

    /// <summary>The live code was past its lifetime; it is deleted.</summary>
    Expired,

    /// <summary>No live code for this client (never sent, already used, burnt, or already tried by this client).</summary>
    Missing,

    /// <summary>Not compared: the user's codes met <see cref="SmsTwoFactorOptions.MaxWrongCodesPerDay"/> tries in 24 hours.</summary>
    TooManyTries,
}
