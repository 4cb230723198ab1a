using Microsoft.AspNetCore.Identity;

namespace IdentityTwoFactor.Stores;

/// <summary>What counting one failed attempt did.</summary>
public enum FailedAttemptOutcome
{
    /// <summary>Counted; the account is still open.</summary>
    Counted,

    /// <summary>Counted, and this attempt reached the limit and locked the account (exactly one attempt per lock).</summary>
    LockedNow,

    /// <summary>The account was locked already: nothing was counted.</summary>
    AlreadyLocked,
}

/// <summary>
/// What the library adds to an Identity user store: a failure counter that parallel requests cannot undercount, and
/// single-use codes. Every change to a user's lockout state is one compare-and-swap on the row's
/// <c>ConcurrencyStamp</c>, so it is safe on any database Entity Framework Core supports, and the user object passed
/// in is brought up to date (so a later <c>UpdateAsync</c> of it neither fails nor writes an old count back).
/// </summary>
/// <typeparam name="TUser">The user type.</typeparam>
public interface IUserSmsTwoFactorStore<TUser> : IUserLockoutStore<TUser>
    where TUser : class
{
    /// <summary>Counts one failed attempt. The attempt that brings the count to <paramref name="maxFailedAttempts"/>
    /// sets the lock end to <paramref name="lockEnd"/>; a locked account counts nothing.</summary>
    /// <param name="user">The user.</param>
    /// <param name="maxFailedAttempts">The number of failures that locks.</param>
    /// <param name="lockEnd">The lock end written by the attempt that reaches the limit.</param>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>What was counted.</returns>
    Task<FailedAttemptOutcome> RecordFailedAttemptAsync(TUser user, int maxFailedAttempts, DateTimeOffset lockEnd, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Takes back an attempt counted before its password was compared, now that it proved right.</summary>
    /// <param name="user">The user.</param>
    /// <param name="lockedByIt">This attempt set the provisional lock, which it now lifts.</param>
    /// <param name="resetCount">Reset the count to zero (a completed sign-in) instead of taking back one attempt.</param>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>False when the account is locked for good meanwhile (a wrong password in parallel locked it).</returns>
    Task<bool> ForgiveFailedAttemptAsync(TUser user, bool lockedByIt, bool resetCount, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Makes a provisional lock final (<paramref name="lockEnd"/>, count back to zero, as Identity does) when
    /// the count still stands at the limit; otherwise a right password reset the count meanwhile, and this failure is
    /// counted with the account left open.</summary>
    /// <param name="user">The user.</param>
    /// <param name="maxFailedAttempts">The number of failures that locks.</param>
    /// <param name="lockEnd">The final lock end.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>True when the account is now locked.</returns>
    Task<bool> ConfirmLockAsync(TUser user, int maxFailedAttempts, DateTimeOffset lockEnd, CancellationToken cancellationToken);

    /// <summary>Clears the lock and the count.</summary>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    Task UnlockAsync(TUser user, CancellationToken cancellationToken);

    /// <summary>Reads the count, the lock end and the concurrency stamp from the database into <paramref name="user"/>.</summary>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    Task ReloadLockoutStateAsync(TUser user, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="code"/> as the user's live code for its purpose, replacing any other.</summary>
    /// <param name="user">The user.</param>
    /// <param name="code">The code row; its <see cref="SmsCode.UserId"/> is set here.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    Task ReplaceCodeAsync(TUser user, SmsCode code, CancellationToken cancellationToken);

    /// <summary>The user's live code for <paramref name="purpose"/>, or null.</summary>
    /// <param name="user">The user.</param>
    /// <param name="purpose">The purpose.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The row, not tracked.</returns>
    Task<SmsCode?> FindCodeAsync(TUser user, string purpose, CancellationToken cancellationToken);

    /// <summary>Deletes exactly this code row. True for the one caller that deleted it.</summary>
    /// <param name="code">The row read by <see cref="FindCodeAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>True when this call consumed the code.</returns>
    Task<bool> TryConsumeCodeAsync(SmsCode code, CancellationToken cancellationToken);

    /// <summary>Records a client's try at <paramref name="code"/> before it is compared. False when the client already
    /// tried this code (also for the loser of two parallel posts of one client), so each client compares at most once.</summary>
    /// <param name="code">The live code about to be compared.</param>
    /// <param name="clientKey">The client's key (<see cref="Codes.ISmsCodeClient.CurrentClientKey"/>).</param>
    /// <param name="nowUtc">The current time (UTC).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>True when this call recorded the try.</returns>
    Task<bool> TryRecordGuessAsync(SmsCode code, string clientKey, DateTime nowUtc, CancellationToken cancellationToken);

    /// <summary>Forgets a client's try that proved right, so the owner's own successes do not count toward the bound.</summary>
    /// <param name="code">The code that was tried.</param>
    /// <param name="clientKey">The client's key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    Task ForgetGuessAsync(SmsCode code, string clientKey, CancellationToken cancellationToken);

    /// <summary>The tries at the user's codes, from every client, made after <paramref name="sinceUtc"/>.</summary>
    /// <param name="user">The user.</param>
    /// <param name="sinceUtc">The start of the window (UTC).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of tries.</returns>
    Task<int> CountGuessesSinceAsync(TUser user, DateTime sinceUtc, CancellationToken cancellationToken);

    /// <summary>Deletes the tries made before <paramref name="beforeUtc"/> (a day old tries no longer count).</summary>
    /// <param name="beforeUtc">The cut-off (UTC).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of rows deleted.</returns>
    Task<int> PruneGuessesAsync(DateTime beforeUtc, CancellationToken cancellationToken);
}
