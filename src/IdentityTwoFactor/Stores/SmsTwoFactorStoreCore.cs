using IdentityTwoFactor.Lockout;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Stores;

/// <summary>The part of <see cref="IUserSmsTwoFactorStore{TUser}"/> both store flavours share (with and without roles).
/// Lockout changes are compare-and-swap statements on <c>ConcurrencyStamp</c>: no provider-specific SQL, no
/// comparison of <see cref="DateTimeOffset"/> in the database (SQLite cannot translate one).</summary>
internal sealed class SmsTwoFactorStoreCore<TUser, TKey>(DbContext context)
    where TUser : IdentityUser<TKey>
    where TKey : IEquatable<TKey>
{
    // Far more rounds than parallel requests to one account ever need; a bound so a bug cannot spin for ever.
    private const int MaxRounds = 200;

    private sealed record LockoutRow(int Count, DateTimeOffset? End, string? Stamp);

    private DbSet<TUser> Users => context.Set<TUser>();

    private DbSet<SmsCode> Codes => context.Set<SmsCode>();

    private DbSet<SmsCodeGuess> Guesses => context.Set<SmsCodeGuess>();

    public Task<FailedAttemptOutcome> RecordFailedAttemptAsync(TUser user, int maxFailedAttempts, DateTimeOffset lockEnd, DateTimeOffset now, CancellationToken cancellationToken) =>
        SwapAsync(user, row =>
        {
            if (row.End > now)
            {
                return (null, FailedAttemptOutcome.AlreadyLocked);
            }
            var count = row.Count + 1;
            return count >= maxFailedAttempts
                ? (row with { Count = count, End = lockEnd }, FailedAttemptOutcome.LockedNow)
                : (row with { Count = count }, FailedAttemptOutcome.Counted);
        }, cancellationToken);

    public Task<bool> ForgiveFailedAttemptAsync(TUser user, bool lockedByIt, bool resetCount, DateTimeOffset now, CancellationToken cancellationToken) =>
        SwapAsync(user, row =>
        {
            var count = resetCount ? 0 : Math.Max(0, row.Count - 1);
            if (row.End == SmsTwoFactorLockout.ProvisionalLockEnd)
            {
                // Its own provisional lock is lifted; another attempt's stays for that attempt to decide, which then sees
                // the count below the limit and leaves the account open.
                return (row with { Count = count, End = lockedByIt ? null : row.End }, true);
            }
            if (row.End > now)
            {
                return (null, false);
            }
            return (count == row.Count ? null : row with { Count = count }, true);
        }, cancellationToken);

    public Task<bool> ConfirmLockAsync(TUser user, int maxFailedAttempts, DateTimeOffset lockEnd, CancellationToken cancellationToken) =>
        SwapAsync(user, row =>
        {
            if (row.End != SmsTwoFactorLockout.ProvisionalLockEnd)
            {
                // Unlocked meanwhile (a texted code): this failure belongs to the old lock.
                return (null, false);
            }
            // Still at the limit (or one below, after a sign-in awaiting its second factor took back only its own
            // attempt): the lock becomes final, and the count starts again from zero as Identity's own lock does.
            // Lower, a right password completed meanwhile and reset the count: this failure counts after it.
            return row.Count >= maxFailedAttempts - 1
                ? (row with { Count = 0, End = lockEnd }, true)
                : (row with { Count = row.Count + 1, End = null }, false);
        }, cancellationToken);

    public Task<int> IncrementAsync(TUser user, CancellationToken cancellationToken) =>
        SwapAsync(user, row => (row with { Count = row.Count + 1 }, row.Count + 1), cancellationToken);

    public Task UnlockAsync(TUser user, CancellationToken cancellationToken) =>
        SwapAsync(user, row => (row.Count == 0 && row.End is null ? null : row with { Count = 0, End = null }, true), cancellationToken);

    public Task ReloadAsync(TUser user, CancellationToken cancellationToken) =>
        SwapAsync(user, _ => ((LockoutRow?)null, true), cancellationToken);

    public async Task ReplaceCodeAsync(string userId, SmsCode code, CancellationToken cancellationToken)
    {
        code.UserId = userId;
        if (context.Database.CurrentTransaction is not null)
        {
            // Inside the app's own transaction: join it. A lost race cannot be retried here (PostgreSQL has aborted the
            // app's transaction), so it goes up to the app.
            await ReplaceCodeInTransactionAsync(code, cancellationToken);
            return;
        }
        for (var round = 0; ; round++)
        {
            try
            {
                // The provider's execution strategy (for example a retrying one) may run the whole transaction again.
                await context.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
                {
                    await using var transaction = await context.Database.BeginTransactionAsync(ct);
                    await ReplaceCodeInTransactionAsync(code, ct);
                    await transaction.CommitAsync(ct);
                }, cancellationToken);
                return;
            }
            catch (DbUpdateException) when (round < MaxRounds)
            {
                // A parallel issuer for the same user and purpose inserted between this delete and this insert (under
                // PostgreSQL's read committed both deletes can find nothing): the unique index refused this insert. The
                // next round deletes the winner's code and puts this one in its place, as a later request would. Any
                // other database error is not that race and goes up.
                if (!await AnotherCodeIsLiveAsync(code, cancellationToken))
                {
                    throw;
                }
            }
        }
    }

    private Task<bool> AnotherCodeIsLiveAsync(SmsCode code, CancellationToken cancellationToken) =>
        Codes.AsNoTracking().AnyAsync(c => c.UserId == code.UserId && c.Purpose == code.Purpose && c.Id != code.Id, cancellationToken);

    private async Task ReplaceCodeInTransactionAsync(SmsCode code, CancellationToken cancellationToken)
    {
        await Codes.Where(c => c.UserId == code.UserId && c.Purpose == code.Purpose).ExecuteDeleteAsync(cancellationToken);
        var entry = Codes.Add(code);
        try
        {
            await context.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            entry.State = EntityState.Detached;
        }
    }

    public Task<SmsCode?> FindCodeAsync(string userId, string purpose, CancellationToken cancellationToken) =>
        Codes.AsNoTracking().FirstOrDefaultAsync(c => c.UserId == userId && c.Purpose == purpose, cancellationToken);

    public async Task<bool> TryConsumeCodeAsync(SmsCode code, CancellationToken cancellationToken) =>
        await Codes.Where(c => c.Id == code.Id).ExecuteDeleteAsync(cancellationToken) == 1;

    public async Task DeleteCodesAsync(string userId, CancellationToken cancellationToken)
    {
        await Codes.Where(c => c.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await Guesses.Where(g => g.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await context.Set<Events.SecurityEvent>().Where(e => e.UserId == userId).ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<bool> TryRecordGuessAsync(SmsCode code, string clientKey, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var guess = new SmsCodeGuess { UserId = code.UserId, CodeId = code.Id, ClientKey = clientKey, AtUtc = nowUtc };
        var entry = Guesses.Add(guess);
        try
        {
            await context.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            entry.State = EntityState.Detached;
            // The unique index on (code, client) refused it when this client's try is already recorded (a parallel twin
            // won). Any other database error is not a duplicate and goes up.
            if (await Guesses.AsNoTracking().AnyAsync(g => g.CodeId == guess.CodeId && g.ClientKey == clientKey, cancellationToken))
            {
                return false;
            }
            throw;
        }
        finally
        {
            entry.State = EntityState.Detached;
        }
    }

    public Task ForgetGuessAsync(SmsCode code, string clientKey, CancellationToken cancellationToken)
    {
        var id = code.Id;
        return Guesses.Where(g => g.CodeId == id && g.ClientKey == clientKey).ExecuteDeleteAsync(cancellationToken);
    }

    public Task<int> CountGuessesSinceAsync(string userId, DateTime sinceUtc, CancellationToken cancellationToken) =>
        Guesses.CountAsync(g => g.UserId == userId && g.AtUtc > sinceUtc, cancellationToken);

    public Task<int> PruneGuessesAsync(DateTime beforeUtc, CancellationToken cancellationToken) =>
        Guesses.Where(g => g.AtUtc < beforeUtc).ExecuteDeleteAsync(cancellationToken);

    /// <summary>Reads the row's lockout state, lets <paramref name="decide"/> choose the next one (null: no change), and
    /// writes it only if nobody changed the row meanwhile; otherwise reads again. The user object ends up with what the
    /// database holds.</summary>
    private async Task<T> SwapAsync<T>(TUser user, Func<LockoutRow, (LockoutRow? Next, T Result)> decide, CancellationToken cancellationToken)
    {
        var id = user.Id;
        for (var round = 0; ; round++)
        {
            var row = await Users.AsNoTracking().Where(u => u.Id.Equals(id))
                .Select(u => new LockoutRow(u.AccessFailedCount, u.LockoutEnd, u.ConcurrencyStamp))
                .FirstOrDefaultAsync(cancellationToken)
                ?? throw new InvalidOperationException("The user is not in the database.");
            var (next, result) = decide(row);
            // Only a copy that was current when the row was read may take the row's new stamp: a stale copy must keep
            // failing Identity's concurrency check, or its UpdateAsync would write its other old columns back.
            var current = user.ConcurrencyStamp == row.Stamp;
            if (next is null)
            {
                Sync(user, row, current);
                return result;
            }
            var seen = row.Stamp;
            var stamp = Guid.NewGuid().ToString();
            var written = await Users.Where(u => u.Id.Equals(id) && u.ConcurrencyStamp == seen)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(u => u.AccessFailedCount, next.Count)
                    .SetProperty(u => u.LockoutEnd, next.End)
                    .SetProperty(u => u.ConcurrencyStamp, stamp), cancellationToken);
            if (written == 1)
            {
                Sync(user, next with { Stamp = stamp }, current);
                return result;
            }
            if (round == MaxRounds)
            {
                throw new InvalidOperationException("The user's lockout state kept changing under this request.");
            }
            // Someone else changed the row between the read and the write: read it again.
        }
    }

    /// <summary>Gives the user object the lockout state the database holds. When the object was current, it also takes the
    /// row's new stamp, and the tracked entry's original values follow, so Identity's own <c>UpdateAsync</c> of the same
    /// object afterwards passes its concurrency check; a stale object keeps its stamp and fails that check as it would
    /// without this store.</summary>
    private void Sync(TUser user, LockoutRow row, bool current)
    {
        var entry = context.Entry(user);
        if (entry.State is not (EntityState.Unchanged or EntityState.Modified))
        {
            user.AccessFailedCount = row.Count;
            user.LockoutEnd = row.End;
            if (current)
            {
                user.ConcurrencyStamp = row.Stamp;
            }
            return;
        }
        // Through the entry, so the context sees what the database holds and not a change of the app's to save.
        SetStored(entry.Property(u => u.AccessFailedCount), row.Count);
        SetStored(entry.Property(u => u.LockoutEnd), row.End);
        if (current)
        {
            SetStored(entry.Property(u => u.ConcurrencyStamp), row.Stamp);
        }
    }

    private static void SetStored<TProperty>(Microsoft.EntityFrameworkCore.ChangeTracking.PropertyEntry<TUser, TProperty> property, TProperty value)
    {
        property.CurrentValue = value;
        property.OriginalValue = value;
        property.IsModified = false;
    }
}
