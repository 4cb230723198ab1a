using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Events;
using IdentityTwoFactor.Metrics;
using IdentityTwoFactor.Stores;
using Microsoft.AspNetCore.Identity;

namespace IdentityTwoFactor.Lockout;

/// <summary>The result of <see cref="SmsUnlockService{TUser}.UnlockAsync"/>.</summary>
public enum SmsUnlockResult
{
    /// <summary>The code was right: the account is open and its failure count is zero.</summary>
    Unlocked,

    /// <summary>The account was not locked; no code was checked.</summary>
    NotLocked,

    /// <summary>No live unlock code matched (wrong, used, expired or never sent); a wrong code is burnt.</summary>
    WrongCode,
}

/// <summary>Unlocks accounts with the code texted when they locked, and texts a new one on request.</summary>
/// <typeparam name="TUser">The user type.</typeparam>
public class SmsUnlockService<TUser>
    where TUser : class
{
    private readonly UserManager<TUser> _users;
    private readonly IUserSmsTwoFactorStore<TUser> _store;
    private readonly SmsCodeSender<TUser> _sender;
    private readonly SmsTwoFactorMetrics _metrics;
    private readonly ISecurityEventLog _events;

    /// <summary>Creates the service.</summary>
    /// <param name="users">Identity's user manager.</param>
    /// <param name="store">The user store, which must be the library's.</param>
    /// <param name="sender">Texts codes.</param>
    /// <param name="metrics">Counts the unlocks (the code provider counts the code checks).</param>
    /// <param name="events">Records wrong codes and unlocks in the account's security events.</param>
    public SmsUnlockService(UserManager<TUser> users, IUserStore<TUser> store, SmsCodeSender<TUser> sender, SmsTwoFactorMetrics metrics, ISecurityEventLog events)
    {
        _events = events;
        _metrics = metrics;
        _users = users;
        _store = store as IUserSmsTwoFactorStore<TUser>
            ?? throw new NotSupportedException($"The user store must implement {nameof(IUserSmsTwoFactorStore<TUser>)}: register it with AddSmsTwoFactor after AddEntityFrameworkStores.");
        _sender = sender;
    }

    /// <summary>Checks <paramref name="code"/> against the live unlock code and, when right, clears the lock and the
    /// failure count. The code is used once; a wrong one is burnt (ask for a new one with <see cref="ResendAsync"/>).</summary>
    /// <param name="user">The user.</param>
    /// <param name="code">What the user typed.</param>
    /// <returns>What happened.</returns>
    public virtual async Task<SmsUnlockResult> UnlockAsync(TUser user, string code)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!await _users.IsLockedOutAsync(user))
        {
            return SmsUnlockResult.NotLocked;
        }
        var userId = await _users.GetUserIdAsync(user);
        if (!await _users.VerifyUserTokenAsync(user, SmsCodeTokenProvider<TUser>.ProviderName, SmsTwoFactorLockout.UnlockPurpose, code ?? ""))
        {
            await _events.RecordAsync(userId, SecurityEventKinds.CodeFailed);
            return SmsUnlockResult.WrongCode;
        }
        await _store.UnlockAsync(user, CancellationToken.None);
        await _events.RecordAsync(userId, SecurityEventKinds.Unlocked);
        _metrics.RecordUnlock(UnlockMethods.TextedCode);
        return SmsUnlockResult.Unlocked;
    }

    /// <summary>Texts a new unlock code to a locked account (budgets apply: cooldown and caps).</summary>
    /// <param name="user">The user.</param>
    /// <param name="cancellationToken">Cancels before the text is handed over.</param>
    /// <returns>What happened; <c>null</c> when the account is not locked (nothing is texted).</returns>
    public virtual async Task<SmsCodeSendResult?> ResendAsync(TUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        return await _users.IsLockedOutAsync(user)
            ? await _sender.SendAsync(user, SmsTwoFactorLockout.UnlockPurpose, cancellationToken: cancellationToken)
            : null;
    }
}
