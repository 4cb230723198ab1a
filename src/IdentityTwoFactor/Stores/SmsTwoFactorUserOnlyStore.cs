using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Stores;

/// <summary>
/// Identity's Entity Framework Core store for users without roles (what <c>AddDefaultIdentity</c> registers) with the library's additions: everything Identity's store
/// does (claims, logins, authentication tokens, the authenticator key, recovery codes, passkeys) is inherited
/// unchanged; the failure count becomes atomic and texted codes are kept in the table added by
/// <see cref="SmsTwoFactorModelBuilderExtensions.AddSmsTwoFactor"/>.
/// </summary>
/// <typeparam name="TUser">The user type.</typeparam>
/// <typeparam name="TContext">The app's Identity context.</typeparam>
/// <typeparam name="TKey">The type of the users' primary key.</typeparam>
public class SmsTwoFactorUserOnlyStore<TUser, TContext, TKey> : UserOnlyStore<TUser, TContext, TKey>, IUserSmsTwoFactorStore<TUser>
    where TUser : IdentityUser<TKey>
    where TContext : DbContext
    where TKey : IEquatable<TKey>
{
    private readonly SmsTwoFactorStoreCore<TUser, TKey> _core;

    /// <summary>Creates the store over <paramref name="context"/>.</summary>
    /// <param name="context">The app's Identity context, with the library's tables in its model.</param>
    /// <param name="describer">Identity's error texts.</param>
    public SmsTwoFactorUserOnlyStore(TContext context, IdentityErrorDescriber? describer = null)
        : base(context, describer) => _core = new SmsTwoFactorStoreCore<TUser, TKey>(context);

    /// <summary>Counts one failure in the database in one compare-and-swap (Identity's own store counts in memory and
    /// loses increments under parallel requests), and returns the new count.</summary>
    /// <inheritdoc />
    public override Task<int> IncrementAccessFailedCountAsync(TUser user, CancellationToken cancellationToken = default)
    {
        Guard(user, cancellationToken);
        return _core.IncrementAsync(user, cancellationToken);
    }

    /// <summary>Deletes the user (Identity's store) and then the user's texted codes, tries at them and security events.</summary>
    /// <inheritdoc />
    public override async Task<IdentityResult> DeleteAsync(TUser user, CancellationToken cancellationToken = default)
    {
        var result = await base.DeleteAsync(user, cancellationToken);
        if (result.Succeeded)
        {
            await _core.DeleteCodesAsync(ConvertIdToString(user.Id)!, cancellationToken);
        }
        return result;
    }

    /// <inheritdoc />
    public virtual Task<FailedAttemptOutcome> RecordFailedAttemptAsync(TUser user, int maxFailedAttempts, DateTimeOffset lockEnd, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return _core.RecordFailedAttemptAsync(user, maxFailedAttempts, lockEnd, now, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task<bool> ForgiveFailedAttemptAsync(TUser user, bool lockedByIt, bool resetCount, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return _core.ForgiveFailedAttemptAsync(user, lockedByIt, resetCount, now, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task<bool> ConfirmLockAsync(TUser user, int maxFailedAttempts, DateTimeOffset lockEnd, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return _core.ConfirmLockAsync(user, maxFailedAttempts, lockEnd, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task UnlockAsync(TUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return _core.UnlockAsync(user, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task ReloadLockoutStateAsync(TUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return _core.ReloadAsync(user, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task ReplaceCodeAsync(TUser user, SmsCode code, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        ArgumentNullException.ThrowIfNull(code);
        return _core.ReplaceCodeAsync(ConvertIdToString(user.Id)!, code, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task<SmsCode?> FindCodeAsync(TUser user, string purpose, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        ArgumentNullException.ThrowIfNull(purpose);
        return _core.FindCodeAsync(ConvertIdToString(user.Id)!, purpose, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task<bool> TryConsumeCodeAsync(SmsCode code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        ThrowIfDisposed();
        return _core.TryConsumeCodeAsync(code, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task<bool> TryRecordGuessAsync(SmsCode code, string clientKey, DateTime nowUtc, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentException.ThrowIfNullOrEmpty(clientKey);
        ThrowIfDisposed();
        return _core.TryRecordGuessAsync(code, clientKey, nowUtc, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task ForgetGuessAsync(SmsCode code, string clientKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentException.ThrowIfNullOrEmpty(clientKey);
        ThrowIfDisposed();
        return _core.ForgetGuessAsync(code, clientKey, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task<int> CountGuessesSinceAsync(TUser user, DateTime sinceUtc, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return _core.CountGuessesSinceAsync(ConvertIdToString(user.Id)!, sinceUtc, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task<int> PruneGuessesAsync(DateTime beforeUtc, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return _core.PruneGuessesAsync(beforeUtc, cancellationToken);
    }

    private void Guard(TUser user, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(user);
    }
}
