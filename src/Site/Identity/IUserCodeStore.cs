namespace IdentityTwoFactor.Identity;

/// <summary>Keeps the hashed codes, one per user and purpose. Consumption is one conditional statement.</summary>
public interface IUserCodeStore<TUser> where TUser : class
{
    /// <summary>Stores <paramref name="code"/> as the only live code of its user and purpose, replacing any other.</summary>
    Task ReplaceCodeAsync(TUser user, UserCode code, CancellationToken cancellationToken);

    Task<UserCode?> FindCodeAsync(TUser user, string purpose, CancellationToken cancellationToken);

    /// <summary>Deletes exactly this code. True for the one caller that deleted it; false for everyone else.</summary>
    Task<bool> TryConsumeCodeAsync(UserCode code, CancellationToken cancellationToken);

    /// <summary>Deletes every code of the user (used when the phone number changes).</summary>
    Task RemoveCodesAsync(TUser user, CancellationToken cancellationToken);

    /// <summary>Deletes the user's outstanding code for one purpose (if any).</summary>
    Task RemoveCodeAsync(TUser user, string purpose, CancellationToken cancellationToken);

    /// <summary>Records <paramref name="clientKey"/>'s one try at <paramref name="code"/>, atomically: false when that
    /// client already tried this code (so parallel tries from one client compare at most once).</summary>
    Task<bool> TryRecordGuessAsync(UserCode code, string clientKey, DateTime nowUtc, CancellationToken cancellationToken);

    /// <summary>Forgets a try that turned out right (it does not count toward the user's daily bound).</summary>
    Task ForgetGuessAsync(UserCode code, string clientKey, CancellationToken cancellationToken);

    /// <summary>How many tries at the user's codes were recorded since <paramref name="sinceUtc"/>.</summary>
    Task<int> CountGuessesSinceAsync(TUser user, DateTime sinceUtc, CancellationToken cancellationToken);

    /// <summary>Deletes the tries recorded before <paramref name="beforeUtc"/>; returns how many.</summary>
    Task<int> PruneGuessesAsync(DateTime beforeUtc, CancellationToken cancellationToken);
}

/// <summary>The result of one failed password, decided by one atomic statement.</summary>
public enum FailedAttemptOutcome
{
    /// <summary>Counted; the account is still open.</summary>
    Counted,
    /// <summary>This attempt reached the limit and locked the account (exactly one attempt gets this).</summary>
    LockedNow,
    /// <summary>The account was already locked: nothing was counted.</summary>
    AlreadyLocked,
}

/// <summary>The lockout counter as atomic statements, so parallel attempts never lose an update.</summary>
public interface IUserLockoutCounterStore<TUser> where TUser : class
{
    /// <summary>Counts one failed attempt and locks on reaching the limit, atomically. Also used to count a password
    /// attempt <em>before</em> its hash is compared, so parallel guesses cannot outnumber the limit; see
    /// <see cref="ForgiveFailedAttemptAsync"/>.</summary>
    Task<FailedAttemptOutcome> RecordFailedAttemptAsync(TUser user, int maxFailedAttempts, DateTimeOffset lockoutEnd, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Takes back an attempt counted before its password was compared, now that the password proved right.</summary>
    /// <param name="lockedByIt">The attempt's count reached the limit and set the provisional lock
    /// (<see cref="TwoFactorUserManager.ProvisionalLockEnd"/>): lift it.</param>
    /// <param name="resetCount">The sign-in is complete: the count goes to zero. Otherwise (a second factor is still to
    /// come) only this attempt is taken back.</param>
    /// <returns>False when the account is locked for good meanwhile: the lock wins and nobody signs in. A provisional
    /// lock set by a parallel attempt does not stop it: that attempt then finds the count below the limit.</returns>
    Task<bool> ForgiveFailedAttemptAsync(TUser user, bool lockedByIt, bool resetCount, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The attempt that set the provisional lock proved wrong: the lock becomes final with
    /// <paramref name="lockoutEnd"/> unless a right password taken back meanwhile brought the count below the limit,
    /// in which case this failure is counted and the account stays open.</summary>
    /// <returns>True when the account is now locked (by this attempt).</returns>
    Task<bool> ConfirmLockAsync(TUser user, int maxFailedAttempts, DateTimeOffset lockoutEnd, CancellationToken cancellationToken);

    /// <summary>Reads the count and lock end from the database into <paramref name="user"/>.</summary>
    Task ReloadLockoutStateAsync(TUser user, CancellationToken cancellationToken);

    /// <summary>Clears the failure count and the lock.</summary>
    Task UnlockAsync(TUser user, CancellationToken cancellationToken);
}
