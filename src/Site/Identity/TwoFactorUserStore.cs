using System.Runtime.CompilerServices;
using IdentityTwoFactor.Stores;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// The site's user store: the library's <see cref="SmsTwoFactorUserOnlyStore{TUser, TContext, TKey}"/> (itself Identity's
/// EF Core <c>UserOnlyStore</c>, so claims, logins, authentication tokens and passkeys work as Identity's own store does,
/// and the library's texted codes and per-client tries), with the site's rules on top:
/// <list type="bullet">
/// <item>The lockout counter and lock end are changed only by single conditional statements (<c>UPDATE ... WHERE</c>),
/// never by a read-modify-write, and <see cref="UpdateAsync"/> never writes those columns back, so a stale in-memory user
/// cannot undo a parallel failure or lock.</item>
/// <item>A parallel signup that loses the unique email index is <c>DuplicateEmail</c> (the site's usernames are the
/// emails); any other database error goes up.</item>
/// <item>A new phone number ends every outstanding code; the site's recovery codes, authenticator key and support role
/// live in its own tables (<see cref="IUserRecoveryCodeStore{TUser}"/>, <see cref="IUserAuthenticatorStore{TUser}"/>,
/// <see cref="SiteRoles"/>).</item>
/// </list>
/// </summary>
public class TwoFactorUserStore<TContext>(TContext context, IdentityErrorDescriber? describer = null) :
    SmsTwoFactorUserOnlyStore<TwoFactorUser, TContext, string>(context, describer),
    IUserCodeStore<TwoFactorUser>,
    IUserRecoveryCodeStore<TwoFactorUser>,
    IUserRoleStore<TwoFactorUser>,
    IUserAuthenticatorStore<TwoFactorUser>
    where TContext : DbContext, ITwoFactorDbContext
{
    // ---- IUserStore: the site's duplicate rule and an UpdateAsync that leaves the lockout columns alone ---------

    /// <inheritdoc />
    public override async Task<IdentityResult> CreateAsync(TwoFactorUser user, CancellationToken cancellationToken = default)
    {
        Guard(user, cancellationToken);
        try
        {
            return await base.CreateAsync(user, cancellationToken);
        }
        catch (DbUpdateException e) when (IsUniqueViolation(e))
        {
            // The unique index on NormalizedEmail is the last word when two signups race for one email.
            Context.Entry(user).State = EntityState.Detached;
            return IdentityResult.Failed(ErrorDescriber.DuplicateEmail(user.Email ?? ""));
        }
    }

    /// <inheritdoc />
    public override async Task<IdentityResult> UpdateAsync(TwoFactorUser user, CancellationToken cancellationToken = default)
    {
        Guard(user, cancellationToken);
        var entry = Context.Entry(user);
        if (entry.State == EntityState.Detached)
        {
            Context.Users.Attach(user);
        }
        user.ConcurrencyStamp = Guid.NewGuid().ToString("D");
        entry.State = EntityState.Modified;
        // Written only by the atomic statements below; writing them here would resurrect stale values.
        entry.Property(u => u.AccessFailedCount).IsModified = false;
        entry.Property(u => u.LockoutEnd).IsModified = false;
        try
        {
            await Context.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return IdentityResult.Failed(ErrorDescriber.ConcurrencyFailure());
        }
        catch (DbUpdateException e) when (IsUniqueViolation(e))
        {
            return IdentityResult.Failed(ErrorDescriber.DuplicateEmail(user.Email ?? ""));
        }
        return IdentityResult.Success;
    }

    /// <summary>A new number invalidates every outstanding code: they were texted to the old one.</summary>
    public override async Task SetPhoneNumberAsync(TwoFactorUser user, string? phoneNumber, CancellationToken cancellationToken = default)
    {
        Guard(user, cancellationToken);
        if (!string.Equals(user.PhoneNumber, phoneNumber, StringComparison.Ordinal))
        {
            await RemoveCodesAsync(user, cancellationToken);
        }
        await base.SetPhoneNumberAsync(user, phoneNumber, cancellationToken);
    }

    // ---- IUserLockoutStore: every write is an immediate atomic statement --------------------------------

    /// <inheritdoc />
    public override async Task SetLockoutEndDateAsync(TwoFactorUser user, DateTimeOffset? lockoutEnd, CancellationToken cancellationToken = default)
    {
        Guard(user, cancellationToken);
        await Context.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LockoutEnd, lockoutEnd), cancellationToken);
        SetLockoutState(user, user.AccessFailedCount, lockoutEnd);
    }

    /// <inheritdoc />
    public override async Task<int> IncrementAccessFailedCountAsync(TwoFactorUser user, CancellationToken cancellationToken = default)
    {
        Guard(user, cancellationToken);
        await Context.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.AccessFailedCount, u => u.AccessFailedCount + 1), cancellationToken);
        SetLockoutState(user, await ReadFailedCountAsync(user, cancellationToken), user.LockoutEnd);
        return user.AccessFailedCount;
    }

    /// <summary>Identity's contract: the count goes to zero whatever the lock end date is (a lock is the lock end date's
    /// business). A sign-in after a timed lock expired therefore starts from zero.</summary>
    public override async Task ResetAccessFailedCountAsync(TwoFactorUser user, CancellationToken cancellationToken = default)
    {
        Guard(user, cancellationToken);
        await Context.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.AccessFailedCount, 0), cancellationToken);
        SetLockoutState(user, 0, user.LockoutEnd);
    }

    // ---- the library's lockout counter, as the site's single statements ------------------------------------------------------------------------

    /// <inheritdoc />
    public override async Task<FailedAttemptOutcome> RecordFailedAttemptAsync(
        TwoFactorUser user, int maxFailedAttempts, DateTimeOffset lockEnd, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        var outcome = FailedAttemptOutcome.AlreadyLocked;
        // Single statements, each conditional on the row as it is when the database runs it: the usual case, then the two
        // general ones. Under any number of parallel failures exactly one of them moves the count to the limit and sets the
        // lock (the usual case stops below it); none counts past the limit, because all require the account to be open. A
        // lock that expired counts as an open account whose count starts again from zero (not as "still at the limit",
        // which would lock again at the next typo).
        var below = maxFailedAttempts - 1;
        if (user.LockoutEnd is null && user.AccessFailedCount < below)
        {
            // The usual case first: the row still holds the count this copy was read with. Conditional on exactly that
            // count, so the new state is known without reading it back; any other state falls through to the general
            // statements below.
            var known = user.AccessFailedCount;
            if (await Context.Database.ExecuteSqlRawAsync(Statements.CountFrom, [known + 1, user.Id, known], cancellationToken) == 1)
            {
                SetLockoutState(user, known + 1, null);
                return FailedAttemptOutcome.Counted;
            }
        }
        var counted = await Context.Users
            .Where(u => u.Id == user.Id
                && ((u.LockoutEnd == null && u.AccessFailedCount < below) || (u.LockoutEnd <= now && below > 0)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(u => u.AccessFailedCount, u => u.LockoutEnd == null ? u.AccessFailedCount + 1 : 1)
                .SetProperty(u => u.LockoutEnd, (DateTimeOffset?)null), cancellationToken);
        if (counted == 1)
        {
            outcome = FailedAttemptOutcome.Counted;
        }
        else
        {
            var locked = await Context.Users
                .Where(u => u.Id == user.Id
                    && ((u.LockoutEnd == null && u.AccessFailedCount >= below) || u.LockoutEnd <= now))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(u => u.AccessFailedCount, maxFailedAttempts)
                    .SetProperty(u => u.LockoutEnd, lockEnd), cancellationToken);
            if (locked == 1)
            {
                outcome = FailedAttemptOutcome.LockedNow;
            }
        }
        await RefreshLockoutStateAsync(user, cancellationToken);
        return outcome;
    }

    /// <inheritdoc />
    public override async Task<bool> ForgiveFailedAttemptAsync(
        TwoFactorUser user, bool lockedByIt, bool resetCount, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        var provisional = TwoFactorUserManager.ProvisionalLockEnd;
        var changed = 0;
        if (lockedByIt)
        {
            // The provisional lock this attempt set is its own to lift (unless a texted code unlocked the account meanwhile).
            changed = await Context.Users.Where(u => u.Id == user.Id && u.LockoutEnd == provisional)
                .ExecuteUpdateAsync(s =>
                {
                    s.SetProperty(u => u.LockoutEnd, (DateTimeOffset?)null);
                    TakeBack(s);
                }, cancellationToken);
        }
        else if (resetCount)
        {
            // The usual case of a completed sign-in: an open account.
            changed = await Context.Database.ExecuteSqlRawAsync(Statements.ResetOpen, [user.Id], cancellationToken);
        }
        if (changed == 1 && resetCount)
        {
            // No lock (its own provisional one lifted, or none) and the count reset: the state is known without a read.
            SetLockoutState(user, 0, null);
            return true;
        }
        if (changed == 0)
        {
            // While the account is open, or locked only provisionally by a parallel attempt still being compared (which
            // then sees the count below the limit and does not make its lock final). A final lock wins.
            changed = await Context.Users
                .Where(u => u.Id == user.Id && (u.LockoutEnd == null || u.LockoutEnd <= now || u.LockoutEnd == provisional))
                .ExecuteUpdateAsync(TakeBack, cancellationToken);
        }
        await RefreshLockoutStateAsync(user, cancellationToken);
        return changed == 1;

        // The count this attempt added is taken back, or the whole count when the sign-in is complete.
        void TakeBack(Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<TwoFactorUser> s)
        {
            if (resetCount)
            {
                s.SetProperty(u => u.AccessFailedCount, 0);
            }
            else
            {
                s.SetProperty(u => u.AccessFailedCount, u => u.AccessFailedCount > 0 ? u.AccessFailedCount - 1 : 0);
            }
        }
    }

    /// <inheritdoc />
    public override async Task<bool> ConfirmLockAsync(
        TwoFactorUser user, int maxFailedAttempts, DateTimeOffset lockEnd, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        var provisional = TwoFactorUserManager.ProvisionalLockEnd;
        // Nobody took an attempt back meanwhile: the count is still at the limit and the lock becomes final. (At one
        // below it, after a second-factor sign-in took back only its own attempt, this failure reaches it again.)
        var locked = await Context.Users
            .Where(u => u.Id == user.Id && u.LockoutEnd == provisional && u.AccessFailedCount >= maxFailedAttempts - 1)
            .ExecuteUpdateAsync(s => s
                .SetProperty(u => u.AccessFailedCount, maxFailedAttempts)
                .SetProperty(u => u.LockoutEnd, lockEnd), cancellationToken);
        if (locked == 0)
        {
            // A right password in flight reset the count: this failure counts after it, and the account stays open.
            await Context.Users
                .Where(u => u.Id == user.Id && u.LockoutEnd == provisional)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(u => u.AccessFailedCount, u => u.AccessFailedCount + 1)
                    .SetProperty(u => u.LockoutEnd, (DateTimeOffset?)null), cancellationToken);
        }
        await RefreshLockoutStateAsync(user, cancellationToken);
        return locked == 1;
    }

    /// <inheritdoc />
    public override async Task ReloadLockoutStateAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        await RefreshLockoutStateAsync(user, cancellationToken);
    }

    private async Task RefreshLockoutStateAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        var state = await Context.Users.AsNoTracking().Where(u => u.Id == user.Id)
            .Select(u => new { u.AccessFailedCount, u.LockoutEnd })
            .FirstAsync(cancellationToken);
        SetLockoutState(user, state.AccessFailedCount, state.LockoutEnd);
    }

    /// <inheritdoc />
    public override async Task UnlockAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        await Context.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s
                .SetProperty(u => u.AccessFailedCount, 0)
                .SetProperty(u => u.LockoutEnd, (DateTimeOffset?)null), cancellationToken);
        SetLockoutState(user, 0, null);
    }

    // ---- the two statements of every sign-in, as SQL text --------------------------------------------------------

    private static readonly ConditionalWeakTable<IModel, CounterStatements> CounterStatementsByModel = new();

    private CounterStatements Statements =>
        CounterStatementsByModel.TryGetValue(Context.Model, out var made) ? made
            : CounterStatementsByModel.GetValue(Context.Model, model => CounterStatements.For(model, Context.GetService<ISqlGenerationHelper>()));

    /// <summary>
    /// The counter statements every password check runs (the attempt counted before the hash, the count reset after a right
    /// password), as SQL text made once per model: the same single conditional UPDATEs their LINQ forms above produce, without
    /// EF Core building, hashing and looking up an expression tree on each call (the site's sign-in cost about 1 ms of CPU
    /// more than the stock Identity app's, most of it in that work, bench B, 2026-12-04). Table and column names come from
    /// the model, in the provider's quoting.
    /// </summary>
    private sealed record CounterStatements(string CountFrom, string ResetOpen)
    {
        public static CounterStatements For(IModel model, ISqlGenerationHelper sql)
        {
            var entity = model.FindEntityType(typeof(TwoFactorUser))
                ?? throw new InvalidOperationException($"The model has no {nameof(TwoFactorUser)} entity.");
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            string Column(string property) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName(table)!);
            var users = sql.DelimitIdentifier(table.Name, table.Schema);
            var (id, count, end) = (Column(nameof(TwoFactorUser.Id)), Column(nameof(TwoFactorUser.AccessFailedCount)),
                Column(nameof(TwoFactorUser.LockoutEnd)));
            return new(
                // {0} the new count, {1} the user's id, {2} the count this copy was read with.
                $"UPDATE {users} SET {count} = {{0}} WHERE {id} = {{1}} AND {end} IS NULL AND {count} = {{2}}",
                // {0} the user's id.
                $"UPDATE {users} SET {count} = 0 WHERE {id} = {{0}} AND {end} IS NULL");
        }
    }

    /// <summary>
    /// Mirrors what an atomic statement wrote into the in-memory user, also as the tracker's original values, so that
    /// no later SaveChanges on this context (by any code) sees them as changes and writes them back.
    /// </summary>
    private void SetLockoutState(TwoFactorUser user, int count, DateTimeOffset? lockoutEnd)
    {
        user.AccessFailedCount = count;
        user.LockoutEnd = lockoutEnd;
        var entry = Context.Entry(user);
        if (entry.State != EntityState.Detached)
        {
            entry.Property(u => u.AccessFailedCount).OriginalValue = count;
            entry.Property(u => u.LockoutEnd).OriginalValue = lockoutEnd;
        }
    }

    /// <summary>A unique index refused the row (SQLite's SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY, PostgreSQL's 23505): the
    /// race the index settles. Anything else (a full disk, a lost connection) is not "already exists" and propagates.</summary>
    private static bool IsUniqueViolation(DbUpdateException exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case Microsoft.Data.Sqlite.SqliteException sqlite:
                    return sqlite.SqliteExtendedErrorCode is 2067 or 1555;
                case Npgsql.PostgresException postgres:
                    return postgres.SqlState == "23505";
            }
        }
        return false;
    }

    private Task<int> ReadFailedCountAsync(TwoFactorUser user, CancellationToken cancellationToken) =>
        Context.Users.AsNoTracking().Where(u => u.Id == user.Id).Select(u => u.AccessFailedCount)
            .FirstOrDefaultAsync(cancellationToken);

    // ---- IUserCodeStore: the library's codes and tries, plus removal -----------------------------------------

    public virtual async Task RemoveCodesAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        await Context.UserCodes.Where(c => c.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
    }

    public virtual async Task RemoveCodeAsync(TwoFactorUser user, string purpose, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        await Context.UserCodes.Where(c => c.UserId == user.Id && c.Purpose == purpose).ExecuteDeleteAsync(cancellationToken);
    }

    // ---- IUserRecoveryCodeStore ----------------------------------------------------------------------------

    public virtual async Task ReplaceRecoveryCodesAsync(TwoFactorUser user, IReadOnlyCollection<byte[]> codeHashes, DateTime nowUtc, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        ArgumentNullException.ThrowIfNull(codeHashes);
        var userId = user.Id;
        await Context.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            await using var tx = await Context.Database.BeginTransactionAsync(ct);
            // Two parallel "new codes" requests must not both delete nothing and both insert (20 live codes): the first
            // statement writes the user's row, so the second transaction waits there until the first commits, and its
            // DELETE then sees the first set (PostgreSQL re-reads per statement; SQLite has one writer at a time).
            await Context.Users.Where(u => u.Id == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.ConcurrencyStamp, u => u.ConcurrencyStamp), ct);
            await Context.RecoveryCodes.Where(c => c.UserId == userId).ExecuteDeleteAsync(ct);
            foreach (var hash in codeHashes)
            {
                await Context.Database.ExecuteSqlInterpolatedAsync(
                    $"""INSERT INTO "RecoveryCodes" ("UserId", "CodeHash", "CreatedUtc") VALUES ({userId}, {hash}, {nowUtc})""", ct);
            }
            await tx.CommitAsync(ct);
        }, cancellationToken);
    }

    public virtual async Task<bool> TryUseRecoveryCodeAsync(string userId, byte[] codeHash, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        ArgumentNullException.ThrowIfNull(codeHash);
        // One conditional DELETE of exactly that row: of any number of parallel uses of one code, one deletes it.
        return await Context.RecoveryCodes.Where(c => c.UserId == userId && c.CodeHash == codeHash)
            .ExecuteDeleteAsync(cancellationToken) == 1;
    }

    public virtual Task<int> CountRecoveryCodesAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return Context.RecoveryCodes.CountAsync(c => c.UserId == user.Id, cancellationToken);
    }

    // ---- IUserRoleStore: roles by normalized name, each write an immediate statement ---------------------------

    /// <summary>Grants the role at once (a second grant changes nothing). Identity's manager calls it with the normalized
    /// name and then updates the user row, which never touches roles.</summary>
    public virtual async Task AddToRoleAsync(TwoFactorUser user, string roleName, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        ArgumentException.ThrowIfNullOrEmpty(roleName);
        var userId = user.Id;
        await Context.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "UserRoles" ("UserId", "Role") VALUES ({userId}, {roleName}) ON CONFLICT ("UserId", "Role") DO NOTHING""",
            cancellationToken);
    }

    public virtual async Task RemoveFromRoleAsync(TwoFactorUser user, string roleName, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        ArgumentException.ThrowIfNullOrEmpty(roleName);
        await Context.UserRoles.Where(r => r.UserId == user.Id && r.Role == roleName).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>The normalized names of the user's roles (there is no roles table to hold display names).</summary>
    public virtual async Task<IList<string>> GetRolesAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return await Context.UserRoles.AsNoTracking().Where(r => r.UserId == user.Id).OrderBy(r => r.Role).Select(r => r.Role)
            .ToListAsync(cancellationToken);
    }

    /// <summary>Read from the database on every call, never from a claim: a revoked role is gone at the next request.</summary>
    public virtual Task<bool> IsInRoleAsync(TwoFactorUser user, string roleName, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        ArgumentException.ThrowIfNullOrEmpty(roleName);
        return Context.UserRoles.AnyAsync(r => r.UserId == user.Id && r.Role == roleName, cancellationToken);
    }

    public virtual async Task<IList<TwoFactorUser>> GetUsersInRoleAsync(string roleName, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        ArgumentException.ThrowIfNullOrEmpty(roleName);
        return await Context.Users.Where(u => Context.UserRoles.Any(r => r.UserId == u.Id && r.Role == roleName))
            .ToListAsync(cancellationToken);
    }

    // ---- IUserAuthenticatorStore ---------------------------------------------------------------------------

    public virtual Task<AuthenticatorKey?> FindAuthenticatorAsync(string userId, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        return Context.AuthenticatorKeys.AsNoTracking().FirstOrDefaultAsync(a => a.UserId == userId, cancellationToken);
    }

    public virtual async Task SetPendingAuthenticatorKeyAsync(TwoFactorUser user, string protectedKey, DateTime nowUtc, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        ArgumentNullException.ThrowIfNull(protectedKey);
        // One upsert: a confirmed key keeps working; only the pending one is (re)placed.
        await Context.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "AuthenticatorKeys" ("UserId", "PendingProtectedKey", "PendingSinceUtc", "LastStep", "FailedTries") VALUES ({user.Id}, {protectedKey}, {nowUtc}, 0, 0) ON CONFLICT ("UserId") DO UPDATE SET "PendingProtectedKey" = excluded."PendingProtectedKey", "PendingSinceUtc" = excluded."PendingSinceUtc" """,
            cancellationToken);
    }

    public virtual async Task<bool> TryConfirmAuthenticatorKeyAsync(string userId, string pendingProtectedKey, long timeStep, DateTime nowUtc, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        // Conditional on the very pending key the code was checked against: a setup restarted meanwhile is not confirmed
        // by a code of the one it replaced. The confirming step becomes the last accepted one, so that code cannot sign in.
        return await Context.AuthenticatorKeys
            .Where(a => a.UserId == userId && a.PendingProtectedKey == pendingProtectedKey)
            .ExecuteUpdateAsync(s => s
                .SetProperty(a => a.ProtectedKey, a => a.PendingProtectedKey)
                .SetProperty(a => a.PendingProtectedKey, (string?)null)
                .SetProperty(a => a.PendingSinceUtc, (DateTime?)null)
                .SetProperty(a => a.ConfirmedUtc, nowUtc)
                .SetProperty(a => a.LastStep, timeStep)
                .SetProperty(a => a.FailedTries, 0)
                .SetProperty(a => a.FailedTriesSinceUtc, (DateTime?)null), cancellationToken) == 1;
    }

    public virtual async Task<bool> TryCountAuthenticatorTryAsync(string userId, int maxTries, DateTime windowStartUtc, DateTime nowUtc, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        // Counted before the comparison, by one conditional statement: any number of parallel tries compare at most
        // maxTries codes per window, whatever the account lock says (a locked account counts nothing toward its lock).
        return await Context.AuthenticatorKeys
            .Where(a => a.UserId == userId && a.ProtectedKey != null
                && (a.FailedTriesSinceUtc == null || a.FailedTriesSinceUtc <= windowStartUtc || a.FailedTries < maxTries))
            .ExecuteUpdateAsync(s => s
                .SetProperty(a => a.FailedTries, a => a.FailedTriesSinceUtc == null || a.FailedTriesSinceUtc <= windowStartUtc ? 1 : a.FailedTries + 1)
                .SetProperty(a => a.FailedTriesSinceUtc, a => a.FailedTriesSinceUtc == null || a.FailedTriesSinceUtc <= windowStartUtc ? nowUtc : a.FailedTriesSinceUtc),
                cancellationToken) == 1;
    }

    public virtual async Task<bool> TryAcceptAuthenticatorStepAsync(string userId, string protectedKey, long timeStep, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        ArgumentNullException.ThrowIfNull(protectedKey);
        // THE single-use rule: of any number of parallel submissions of one code, the database lets one UPDATE see
        // LastStep < timeStep; every other one (and any code of an earlier step) changes no row. Conditional on the key
        // too, so a code checked against a key replaced or removed meanwhile is refused.
        return await Context.AuthenticatorKeys
            .Where(a => a.UserId == userId && a.ProtectedKey == protectedKey && a.LastStep < timeStep)
            .ExecuteUpdateAsync(s => s
                .SetProperty(a => a.LastStep, timeStep)
                .SetProperty(a => a.FailedTries, 0)
                .SetProperty(a => a.FailedTriesSinceUtc, (DateTime?)null), cancellationToken) == 1;
    }

    public virtual async Task<bool> RemoveAuthenticatorAsync(string userId, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        var confirmed = await Context.AuthenticatorKeys.Where(a => a.UserId == userId && a.ProtectedKey != null).ExecuteDeleteAsync(cancellationToken);
        await Context.AuthenticatorKeys.Where(a => a.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        return confirmed == 1;
    }

    // ---- guards -----------------------------------------------------------------------------------------

    private void ThrowIfDisposed(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
    }

    private void Guard(TwoFactorUser user, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        ArgumentNullException.ThrowIfNull(user);
    }
}
