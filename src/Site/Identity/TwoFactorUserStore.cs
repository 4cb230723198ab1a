using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// An ASP.NET Identity user store on EF Core for <see cref="TwoFactorUser"/>. It implements every store interface
/// the site's UserManager and SignInManager calls touch, so none of them throws NotSupportedException.
/// The lockout counter and the codes are changed only by single conditional statements
/// (<c>UPDATE ... WHERE</c>, <c>DELETE ... WHERE</c>); <see cref="UpdateAsync"/> never writes those columns
/// back, so a stale in-memory user cannot undo a parallel failure or lock.
/// </summary>
public class TwoFactorUserStore<TContext>(TContext context, IdentityErrorDescriber? describer = null) :
    IUserEmailStore<TwoFactorUser>,
    IUserPasswordStore<TwoFactorUser>,
    IUserPhoneNumberStore<TwoFactorUser>,
    IUserLockoutStore<TwoFactorUser>,
    IUserSecurityStampStore<TwoFactorUser>,
    IUserTwoFactorStore<TwoFactorUser>,
    IQueryableUserStore<TwoFactorUser>,
    IUserCodeStore<TwoFactorUser>,
    IUserLockoutCounterStore<TwoFactorUser>,
    IUserRecoveryCodeStore<TwoFactorUser>,
    IUserRoleStore<TwoFactorUser>,
    IUserAuthenticatorStore<TwoFactorUser>
    where TContext : DbContext, ITwoFactorDbContext
{
    private readonly IdentityErrorDescriber _errors = describer ?? new IdentityErrorDescriber();
    private bool _disposed;

    protected TContext Context { get; } = context;

    public IQueryable<TwoFactorUser> Users => Context.Users;

    // ---- IUserStore -------------------------------------------------------------------------------------

    public virtual async Task<IdentityResult> CreateAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        Context.Users.Add(user);
        try
        {
            await Context.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (IsUniqueViolation(e))
        {
            // The unique index on NormalizedEmail is the last word when two signups race for one email.
            Context.Entry(user).State = EntityState.Detached;
            return IdentityResult.Failed(_errors.DuplicateEmail(user.Email ?? ""));
        }
        return IdentityResult.Success;
    }

    public virtual async Task<IdentityResult> UpdateAsync(TwoFactorUser user, CancellationToken cancellationToken)
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
            return IdentityResult.Failed(_errors.ConcurrencyFailure());
        }
        catch (DbUpdateException e) when (IsUniqueViolation(e))
        {
            return IdentityResult.Failed(_errors.DuplicateEmail(user.Email ?? ""));
        }
        return IdentityResult.Success;
    }

    public virtual async Task<IdentityResult> DeleteAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        var deleted = await Context.Users
            .Where(u => u.Id == user.Id && u.ConcurrencyStamp == user.ConcurrencyStamp)
            .ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return IdentityResult.Failed(_errors.ConcurrencyFailure());
        }
        Context.Entry(user).State = EntityState.Detached;
        return IdentityResult.Success;
    }

    public virtual Task<TwoFactorUser?> FindByIdAsync(string userId, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        return Context.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
    }

    public virtual Task<TwoFactorUser?> FindByNameAsync(string normalizedUserName, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        return Context.Users.FirstOrDefaultAsync(u => u.NormalizedUserName == normalizedUserName, cancellationToken);
    }

    public virtual Task<string> GetUserIdAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.Id, cancellationToken);

    public virtual Task<string?> GetUserNameAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.UserName, cancellationToken);

    public virtual Task SetUserNameAsync(TwoFactorUser user, string? userName, CancellationToken cancellationToken)
        => Set(user, () => user.UserName = userName, cancellationToken);

    public virtual Task<string?> GetNormalizedUserNameAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.NormalizedUserName, cancellationToken);

    public virtual Task SetNormalizedUserNameAsync(TwoFactorUser user, string? normalizedName, CancellationToken cancellationToken)
        => Set(user, () => user.NormalizedUserName = normalizedName, cancellationToken);

    // ---- IUserEmailStore --------------------------------------------------------------------------------

    public virtual Task SetEmailAsync(TwoFactorUser user, string? email, CancellationToken cancellationToken)
        => Set(user, () => user.Email = email, cancellationToken);

    public virtual Task<string?> GetEmailAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.Email, cancellationToken);

    public virtual Task<bool> GetEmailConfirmedAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.EmailConfirmed, cancellationToken);

    public virtual Task SetEmailConfirmedAsync(TwoFactorUser user, bool confirmed, CancellationToken cancellationToken)
        => Set(user, () => user.EmailConfirmed = confirmed, cancellationToken);

    public virtual Task<TwoFactorUser?> FindByEmailAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        return Context.Users.FirstOrDefaultAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken);
    }

    public virtual Task<string?> GetNormalizedEmailAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.NormalizedEmail, cancellationToken);

    public virtual Task SetNormalizedEmailAsync(TwoFactorUser user, string? normalizedEmail, CancellationToken cancellationToken)
        => Set(user, () => user.NormalizedEmail = normalizedEmail, cancellationToken);

    // ---- IUserPasswordStore -----------------------------------------------------------------------------

    public virtual Task SetPasswordHashAsync(TwoFactorUser user, string? passwordHash, CancellationToken cancellationToken)
        => Set(user, () => user.PasswordHash = passwordHash, cancellationToken);

    public virtual Task<string?> GetPasswordHashAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.PasswordHash, cancellationToken);

    public virtual Task<bool> HasPasswordAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.PasswordHash is not null, cancellationToken);

    // ---- IUserPhoneNumberStore --------------------------------------------------------------------------

    /// <summary>A new number invalidates every outstanding code: they were texted to the old one.</summary>
    public virtual async Task SetPhoneNumberAsync(TwoFactorUser user, string? phoneNumber, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        if (!string.Equals(user.PhoneNumber, phoneNumber, StringComparison.Ordinal))
        {
            await RemoveCodesAsync(user, cancellationToken);
        }
        user.PhoneNumber = phoneNumber;
    }

    public virtual Task<string?> GetPhoneNumberAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.PhoneNumber, cancellationToken);

    public virtual Task<bool> GetPhoneNumberConfirmedAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.PhoneNumberConfirmed, cancellationToken);

    public virtual Task SetPhoneNumberConfirmedAsync(TwoFactorUser user, bool confirmed, CancellationToken cancellationToken)
        => Set(user, () => user.PhoneNumberConfirmed = confirmed, cancellationToken);

    // ---- IUserSecurityStampStore / IUserTwoFactorStore -------------------------------------------------

    public virtual Task SetSecurityStampAsync(TwoFactorUser user, string stamp, CancellationToken cancellationToken)
        => Set(user, () => user.SecurityStamp = stamp, cancellationToken);

    public virtual Task<string?> GetSecurityStampAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.SecurityStamp, cancellationToken);

    public virtual Task SetTwoFactorEnabledAsync(TwoFactorUser user, bool enabled, CancellationToken cancellationToken)
        => Set(user, () => user.TwoFactorEnabled = enabled, cancellationToken);

    public virtual Task<bool> GetTwoFactorEnabledAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.TwoFactorEnabled, cancellationToken);

    // ---- IUserLockoutStore: every write is an immediate atomic statement --------------------------------

    public virtual Task<DateTimeOffset?> GetLockoutEndDateAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.LockoutEnd, cancellationToken);

    public virtual async Task SetLockoutEndDateAsync(TwoFactorUser user, DateTimeOffset? lockoutEnd, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        await Context.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LockoutEnd, lockoutEnd), cancellationToken);
        SetLockoutState(user, user.AccessFailedCount, lockoutEnd);
    }

    public virtual async Task<int> IncrementAccessFailedCountAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        await Context.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.AccessFailedCount, u => u.AccessFailedCount + 1), cancellationToken);
        SetLockoutState(user, await ReadFailedCountAsync(user, cancellationToken), user.LockoutEnd);
        return user.AccessFailedCount;
    }

    /// <summary>Identity's contract: the count goes to zero whatever the lock end date is (a lock is the lock end date's
    /// business). A sign-in after a timed lock expired therefore starts from zero.</summary>
    public virtual async Task ResetAccessFailedCountAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        await Context.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.AccessFailedCount, 0), cancellationToken);
        SetLockoutState(user, 0, user.LockoutEnd);
    }

    public virtual Task<int> GetAccessFailedCountAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.AccessFailedCount, cancellationToken);

    public virtual Task<bool> GetLockoutEnabledAsync(TwoFactorUser user, CancellationToken cancellationToken)
        => Get(user, () => user.LockoutEnabled, cancellationToken);

    public virtual Task SetLockoutEnabledAsync(TwoFactorUser user, bool enabled, CancellationToken cancellationToken)
        => Set(user, () => user.LockoutEnabled = enabled, cancellationToken);

    // ---- IUserLockoutCounterStore ------------------------------------------------------------------------

    public virtual async Task<FailedAttemptOutcome> RecordFailedAttemptAsync(
        TwoFactorUser user, int maxFailedAttempts, DateTimeOffset lockoutEnd, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        var outcome = FailedAttemptOutcome.AlreadyLocked;
        // Two single statements, each conditional on the row as it is when the database runs it. Under any number
        // of parallel failures exactly one of them moves the count to the limit and sets the lock; none counts
        // past the limit, because both require the account to be open. A lock that expired counts as an open account
        // whose count starts again from zero (not as "still at the limit", which would lock again at the next typo).
        var below = maxFailedAttempts - 1;
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
                    .SetProperty(u => u.LockoutEnd, lockoutEnd), cancellationToken);
            if (locked == 1)
            {
                outcome = FailedAttemptOutcome.LockedNow;
            }
        }
        await RefreshLockoutStateAsync(user, cancellationToken);
        return outcome;
    }

    public virtual async Task<bool> ForgiveFailedAttemptAsync(
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

    public virtual async Task<bool> ConfirmLockAsync(
        TwoFactorUser user, int maxFailedAttempts, DateTimeOffset lockoutEnd, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        var provisional = TwoFactorUserManager.ProvisionalLockEnd;
        // Nobody took an attempt back meanwhile: the count is still at the limit and the lock becomes final. (At one
        // below it, after a second-factor sign-in took back only its own attempt, this failure reaches it again.)
        var locked = await Context.Users
            .Where(u => u.Id == user.Id && u.LockoutEnd == provisional && u.AccessFailedCount >= maxFailedAttempts - 1)
            .ExecuteUpdateAsync(s => s
                .SetProperty(u => u.AccessFailedCount, maxFailedAttempts)
                .SetProperty(u => u.LockoutEnd, lockoutEnd), cancellationToken);
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

    public virtual async Task ReloadLockoutStateAsync(TwoFactorUser user, CancellationToken cancellationToken)
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

    public virtual async Task UnlockAsync(TwoFactorUser user, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        await Context.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s
                .SetProperty(u => u.AccessFailedCount, 0)
                .SetProperty(u => u.LockoutEnd, (DateTimeOffset?)null), cancellationToken);
        SetLockoutState(user, 0, null);
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

    // ---- IUserCodeStore ---------------------------------------------------------------------------------

    public virtual async Task ReplaceCodeAsync(TwoFactorUser user, UserCode code, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        ArgumentNullException.ThrowIfNull(code);
        code.UserId = user.Id;
        // The provider's execution strategy may run the whole transaction again (PostgreSQL, after a restart).
        await Context.Database.CreateExecutionStrategy().ExecuteAsync(
            (store: this, user, code), static (state, ct) => state.store.ReplaceCodeInTransactionAsync(state.user, state.code, ct), cancellationToken);
    }

    private async Task ReplaceCodeInTransactionAsync(TwoFactorUser user, UserCode code, CancellationToken cancellationToken)
    {
        // Delete-then-insert in one transaction; a parallel issuer that loses the unique index race retries once.
        for (var attempt = 0; ; attempt++)
        {
            await using var tx = await Context.Database.BeginTransactionAsync(cancellationToken);
            await Context.UserCodes.Where(c => c.UserId == user.Id && c.Purpose == code.Purpose)
                .ExecuteDeleteAsync(cancellationToken);
            Context.UserCodes.Add(code);
            try
            {
                await Context.SaveChangesAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException e) when (attempt == 0 && IsUniqueViolation(e))
            {
                await tx.RollbackAsync(cancellationToken);
            }
            finally
            {
                Context.Entry(code).State = EntityState.Detached;
            }
        }
    }

    public virtual Task<UserCode?> FindCodeAsync(TwoFactorUser user, string purpose, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return Context.UserCodes.AsNoTracking()
            .FirstOrDefaultAsync(c => c.UserId == user.Id && c.Purpose == purpose, cancellationToken);
    }

    public virtual async Task<bool> TryConsumeCodeAsync(UserCode code, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        ArgumentNullException.ThrowIfNull(code);
        var id = code.Id;
        return await Context.UserCodes.Where(c => c.Id == id).ExecuteDeleteAsync(cancellationToken) == 1;
    }

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

    public virtual async Task<bool> TryRecordGuessAsync(UserCode code, string clientKey, DateTime nowUtc, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        ArgumentNullException.ThrowIfNull(code);
        // The unique index on (CodeId, ClientKey) decides: one insert wins, every parallel twin is refused.
        var inserted = await Context.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "CodeGuesses" ("UserId", "CodeId", "ClientKey", "AtUtc") VALUES ({code.UserId}, {code.Id}, {clientKey}, {nowUtc}) ON CONFLICT ("CodeId", "ClientKey") DO NOTHING""",
            cancellationToken);
        return inserted == 1;
    }

    public virtual Task ForgetGuessAsync(UserCode code, string clientKey, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        ArgumentNullException.ThrowIfNull(code);
        var id = code.Id;
        return Context.CodeGuesses.Where(g => g.CodeId == id && g.ClientKey == clientKey).ExecuteDeleteAsync(cancellationToken);
    }

    public virtual Task<int> CountGuessesSinceAsync(TwoFactorUser user, DateTime sinceUtc, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return Context.CodeGuesses.CountAsync(g => g.UserId == user.Id && g.AtUtc > sinceUtc, cancellationToken);
    }

    public virtual Task<int> PruneGuessesAsync(DateTime beforeUtc, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        return Context.CodeGuesses.Where(g => g.AtUtc < beforeUtc).ExecuteDeleteAsync(cancellationToken);
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
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    private void Guard(TwoFactorUser user, CancellationToken cancellationToken)
    {
        ThrowIfDisposed(cancellationToken);
        ArgumentNullException.ThrowIfNull(user);
    }

    private Task<T> Get<T>(TwoFactorUser user, Func<T> value, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        return Task.FromResult(value());
    }

    private Task Set(TwoFactorUser user, Action set, CancellationToken cancellationToken)
    {
        Guard(user, cancellationToken);
        set();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _disposed = true;
        GC.SuppressFinalize(this);
    }
}
