namespace IdentityTwoFactor.Identity;

/// <summary>What <see cref="TwoFactorUserManager.StartPhoneChangeAsync"/> texted.</summary>
/// <param name="NewNumber">The code to the new number, or why it was not sent (then nothing else was either).</param>
/// <param name="ApprovalSentTo">The masked current number the approval code went to; null when none was needed.</param>
public sealed record PhoneChangeStart(SendCodeResult NewNumber, string? ApprovalSentTo)
{
    public bool Sent => NewNumber.Sent;
}

/// <summary>The result of <see cref="TwoFactorUserManager.ChangePhoneAsync"/>.</summary>
public enum PhoneChangeResult
{
    Changed,
    /// <summary>A code was wrong, expired or missing; counted toward the lock, the account still open.</summary>
    WrongCode,
    /// <summary>That wrong code locked the account (exactly one attempt per lock): text the unlock code.</summary>
    LockedNow,
    /// <summary>The account is locked; nothing was checked.</summary>
    Locked,
}
