using System.Diagnostics;
using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Events;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Stores;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Lockout;

/// <summary>
/// Identity's sign-in manager with the library's lockout rule on the password step (opt-in:
/// <see cref="SmsTwoFactorOptions.UseSignInManager"/>). The limits are Identity's own
/// (<c>IdentityOptions.Lockout.MaxFailedAccessAttempts</c> and <c>DefaultLockoutTimeSpan</c>).
/// <list type="bullet">
/// <item>Every wrong password counts, whatever <c>lockoutOnFailure</c> the page passes (the stock UI passes false).</item>
/// <item>A locked account's password is not hashed at all: guessing stops and costs no CPU.</item>
/// <item>Count first, then compare: each attempt is counted before its hash is compared and taken back when right, so
///   parallel requests never get more than the limit's passwords compared per lock. The attempt that reaches the limit
///   locks provisionally (<see cref="SmsTwoFactorLockout.ProvisionalLockEnd"/>); right passwords arriving meanwhile wait
///   for its answer (at most <see cref="ProvisionalLockWait"/>) instead of being told "locked".</item>
/// <item>The one attempt that locks texts the unlock code (<see cref="SmsTwoFactorLockout.UnlockPurpose"/>) through
///   <see cref="SmsCodeSender{TUser}"/>; <see cref="SmsUnlockService{TUser}"/> takes it back.</item>
/// </list>
/// </summary>
/// <typeparam name="TUser">The user type.</typeparam>
public partial class SmsTwoFactorSignInManager<TUser> : SignInManager<TUser>
    where TUser : class
{
    /// <summary>How long a sign-in waits in all for a provisional lock to be decided.</summary>
    public static readonly TimeSpan ProvisionalLockWait = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    private readonly IUserSmsTwoFactorStore<TUser> _store;
    private readonly SmsCodeSender<TUser> _sender;
    private readonly TimeProvider _time;
    private readonly SmsTwoFactorMetrics _metrics;
    private readonly ISecurityEventLog _events;

    /// <summary>Creates the manager (the parameters are Identity's, then the library's).</summary>
    /// <param name="userManager">Identity's user manager.</param>
    /// <param name="contextAccessor">The HTTP context accessor.</param>
    /// <param name="claimsFactory">The claims principal factory.</param>
    /// <param name="optionsAccessor">Identity's options.</param>
    /// <param name="logger">Identity's sign-in log.</param>
    /// <param name="schemes">The authentication schemes.</param>
    /// <param name="confirmation">Identity's account confirmation.</param>
    /// <param name="store">The user store, which must be the library's.</param>
    /// <param name="sender">Texts the unlock code.</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">Counts the locks.</param>
    /// <param name="events">Records wrong passwords and locks in the account's security events.</param>
    public SmsTwoFactorSignInManager(
        UserManager<TUser> userManager,
        IHttpContextAccessor contextAccessor,
        IUserClaimsPrincipalFactory<TUser> claimsFactory,
        IOptions<IdentityOptions> optionsAccessor,
        ILogger<SignInManager<TUser>> logger,
        IAuthenticationSchemeProvider schemes,
        IUserConfirmation<TUser> confirmation,
        IUserStore<TUser> store,
        SmsCodeSender<TUser> sender,
        TimeProvider time,
        SmsTwoFactorMetrics metrics,
        ISecurityEventLog events)
        : base(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
    {
        _store = store as IUserSmsTwoFactorStore<TUser>
            ?? throw new NotSupportedException($"The user store must implement {nameof(IUserSmsTwoFactorStore<TUser>)}: register it with AddSmsTwoFactor after AddEntityFrameworkStores.");
        (_sender, _time, _metrics, _events) = (sender, time, metrics, events);
    }

    /// <summary>The password step under the lockout rule; see the class.</summary>
    /// <inheritdoc />
    public override async Task<SignInResult> CheckPasswordSignInAsync(TUser user, string password, bool lockoutOnFailure)
    {
        ArgumentNullException.ThrowIfNull(user);
        var refused = await PreSignInCheck(user);
        if (refused is not null)
        {
            return refused;
        }
        if (!await UserManager.GetLockoutEnabledAsync(user))
        {
            return await UserManager.CheckPasswordAsync(user, password) ? SignInResult.Success : SignInResult.Failed;
        }

        var lockout = Options.Lockout;
        var waitingSince = Stopwatch.GetTimestamp();
        FailedAttemptOutcome attempt;
        while ((attempt = await _store.RecordFailedAttemptAsync(user, lockout.MaxFailedAccessAttempts, SmsTwoFactorLockout.ProvisionalLockEnd,
            _time.GetUtcNow(), CancellationToken.None)) == FailedAttemptOutcome.AlreadyLocked)
        {
            // Another attempt's password is being compared: wait for its answer rather than refuse a right password.
            if (!await WaitOutProvisionalLockAsync(user, waitingSince))
            {
                return SignInResult.LockedOut;
            }
        }
        var lockedByIt = attempt == FailedAttemptOutcome.LockedNow;
        if (await UserManager.CheckPasswordAsync(user, password))
        {
            // With a second factor still to come the count is reset only when that succeeds (Identity's rule).
            var completes = !await IsTwoFactorEnabledAsync(user) || await IsTwoFactorClientRememberedAsync(user);
            return await _store.ForgiveFailedAttemptAsync(user, lockedByIt, completes, _time.GetUtcNow(), CancellationToken.None)
                ? SignInResult.Success
                : SignInResult.LockedOut;
        }
        var userId = await UserManager.GetUserIdAsync(user);
        await _events.RecordAsync(userId, SecurityEventKinds.PasswordFailed);
        if (lockedByIt && await _store.ConfirmLockAsync(user, lockout.MaxFailedAccessAttempts, _time.GetUtcNow() + lockout.DefaultLockoutTimeSpan, CancellationToken.None))
        {
            LogLocked(Logger, lockout.MaxFailedAccessAttempts);
            await _events.RecordAsync(userId, SecurityEventKinds.Locked);
            _metrics.RecordLock(LockCauses.Password);
            var sent = await _sender.SendAsync(user, SmsTwoFactorLockout.UnlockPurpose, ignoreCooldown: true);
            if (sent.Status != SmsCodeSendStatus.Sent)
            {
                // Most often a number that was never confirmed (the stock UI has no page to confirm one): say so, or the
                // account waits out its lock with nobody knowing why no code came.
                LogUnlockNotTexted(Logger, sent.Status);
            }
            return SignInResult.LockedOut;
        }
        return SignInResult.Failed;
    }

    /// <summary>Identity's checks before any sign-in step, after waiting out a provisional lock.</summary>
    /// <inheritdoc />
    protected override async Task<SignInResult?> PreSignInCheck(TUser user)
    {
        await WaitOutProvisionalLockAsync(user, Stopwatch.GetTimestamp());
        return await base.PreSignInCheck(user);
    }

    /// <summary>While the lock is provisional, re-reads it until it is decided or <see cref="ProvisionalLockWait"/> has
    /// passed since <paramref name="waitingSince"/>. True when the account is open afterwards.</summary>
    /// <param name="user">The user.</param>
    /// <param name="waitingSince">A <see cref="Stopwatch"/> timestamp.</param>
    /// <returns>Whether the account is open.</returns>
    protected virtual async Task<bool> WaitOutProvisionalLockAsync(TUser user, long waitingSince)
    {
        while (await UserManager.GetLockoutEndDateAsync(user) == SmsTwoFactorLockout.ProvisionalLockEnd
            && Stopwatch.GetElapsedTime(waitingSince) < ProvisionalLockWait)
        {
            await Task.Delay(Poll);
            await _store.ReloadLockoutStateAsync(user, CancellationToken.None);
        }
        return !await UserManager.IsLockedOutAsync(user);
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "An account locked after {MaxFailedAccessAttempts} failed passwords; texting its unlock code")]
    private static partial void LogLocked(ILogger logger, int maxFailedAccessAttempts);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "The unlock code of an account that just locked was not texted: {Status} (see SmsTwoFactorOptions.RequireConfirmedPhone)")]
    private static partial void LogUnlockNotTexted(ILogger logger, SmsCodeSendStatus status);
}
