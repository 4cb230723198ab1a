using IdentityTwoFactor.Metrics;
using Microsoft.AspNetCore.Identity;

namespace IdentityTwoFactor.Identity;

/// <summary>What a support agent can do to another account from the console.</summary>
public enum SupportAction
{
    /// <summary>Clear the lock and the failure count; outstanding unlock codes stop working.</summary>
    Unlock,
    /// <summary>End every server-side session of the account (and its remembered browsers, by a new security stamp).</summary>
    EndSessions,
    /// <summary>Mark the phone unconfirmed: the next sign-in goes through the confirm-phone page.</summary>
    RequirePhoneConfirmation,
}

/// <summary>The result of a support action.</summary>
public enum SupportActionResult
{
    Done,
    /// <summary>The agent's own password was wrong; counted toward the agent's lock; nothing done.</summary>
    WrongPassword,
    /// <summary>The agent's wrong password locked the agent's account (this attempt).</summary>
    AgentLockedNow,
    /// <summary>The agent's account is locked; the password was not compared.</summary>
    AgentLocked,
    /// <summary>Agents do not act on their own account from the console.</summary>
    OwnAccount,
    /// <summary>The user is not (or no longer) a support agent.</summary>
    NotAnAgent,
}

/// <summary>
/// The support console's rules. An agent acts on another account only with the agent's own password entered again, checked
/// under the lockout rule (a wrong one counts toward the agent's lock, as on the account pages). Every action is recorded in
/// the account's security activity and in the agent's, with the account's email beside the agent's event.
/// </summary>
public partial class TwoFactorUserManager
{
    /// <summary>Whether the user holds the Support role, read from the database now (never from a claim).</summary>
    public virtual Task<bool> IsSupportAgentAsync(TwoFactorUser user) => IsInRoleAsync(user, SiteRoles.Support);

    /// <summary><c>TwoFactor:MaxTextsPerHour</c>, the per-account cap the console shows beside the texts of the last hour.</summary>
    public int MaxTextsPerHour => TwoFactor.MaxTextsPerHour;

    public virtual async Task<SupportActionResult> ActAsSupportAsync(TwoFactorUser agent, string agentPassword, TwoFactorUser target, SupportAction action)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(target);
        if (agent.Id == target.Id)
        {
            return SupportActionResult.OwnAccount;
        }
        if (!await IsSupportAgentAsync(agent))
        {
            return SupportActionResult.NotAnAgent;
        }
        switch (await CheckPasswordWithLockoutAsync(agent, agentPassword ?? ""))
        {
            case PasswordCheckResult.Wrong:
                return SupportActionResult.WrongPassword;
            case PasswordCheckResult.LockedNow:
                return SupportActionResult.AgentLockedNow;
            case PasswordCheckResult.Locked:
                return SupportActionResult.AgentLocked;
        }
        string targetEvent, agentEvent;
        switch (action)
        {
            case SupportAction.Unlock:
                var wasLocked = await IsLockedOutAsync(target);
                await UnlockAsync(target);
                if (wasLocked)
                {
                    Metrics.RecordUnlock(UnlockMethods.Support);
                }
                // A code texted before the agent unlocked would otherwise still unlock a later lock.
                await CodeStore.RemoveCodeAsync(target, CodePurposes.Unlock, CancellationToken);
                (targetEvent, agentEvent) = (SecurityEventKinds.UnlockedBySupport, SecurityEventKinds.SupportUnlocked);
                break;
            case SupportAction.EndSessions:
                // The new stamp also ends remembered browsers (the two-factor remember-me cookie carries the stamp).
                var stamped = await UpdateSecurityStampAsync(target);
                if (!stamped.Succeeded)
                {
                    throw new InvalidOperationException("The account's security stamp could not be changed: " + stamped.Errors.First().Code);
                }
                if (_sessions is not null)
                {
                    await _sessions.EndAllAsync(target.Id, CancellationToken);
                }
                (targetEvent, agentEvent) = (SecurityEventKinds.SessionsEndedBySupport, SecurityEventKinds.SupportEndedSessions);
                break;
            case SupportAction.RequirePhoneConfirmation:
                target.PhoneNumberConfirmed = false;
                var updated = await UpdateUserAsync(target);
                if (!updated.Succeeded)
                {
                    throw new InvalidOperationException("The account could not be updated: " + updated.Errors.First().Code);
                }
                (targetEvent, agentEvent) = (SecurityEventKinds.PhoneUnconfirmedBySupport, SecurityEventKinds.SupportUnconfirmedPhone);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action));
        }
        await RecordEventAsync(target, targetEvent);
        if (_events is not null)
        {
            await _events.RecordAsync(agent.Id, agentEvent, target.Email, CancellationToken);
        }
        return SupportActionResult.Done;
    }

    /// <summary>Grants the Support role (the command line); recorded in the user's activity when it was not held yet.</summary>
    public virtual async Task<IdentityResult> GrantSupportAsync(TwoFactorUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (await IsSupportAgentAsync(user))
        {
            return IdentityResult.Success;
        }
        var result = await AddToRoleAsync(user, SiteRoles.Support);
        if (result.Succeeded)
        {
            await RecordEventAsync(user, SecurityEventKinds.SupportRoleGranted);
        }
        return result;
    }

    /// <summary>Revokes the Support role (the command line); the agent's next request no longer reaches the console.</summary>
    public virtual async Task<IdentityResult> RevokeSupportAsync(TwoFactorUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!await IsSupportAgentAsync(user))
        {
            return IdentityResult.Success;
        }
        var result = await RemoveFromRoleAsync(user, SiteRoles.Support);
        if (result.Succeeded)
        {
            await RecordEventAsync(user, SecurityEventKinds.SupportRoleRevoked);
        }
        return result;
    }
}
