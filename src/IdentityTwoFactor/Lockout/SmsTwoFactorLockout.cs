namespace IdentityTwoFactor.Lockout;

/// <summary>Token purposes and lock ends the library uses.</summary>
public static class SmsTwoFactorLockout
{
    /// <summary>The purpose of the code texted when an account locks.</summary>
    public const string UnlockPurpose = "Unlock";

    /// <summary>The lock end written by the password attempt that reaches the limit before its hash is compared: locked
    /// for everyone (Identity included) and recognisable, so a right password arriving meanwhile waits for the answer.
    /// A wrong password makes the lock final; a right one lifts it. A process killed in between leaves the account
    /// locked until unlocked (fail closed).</summary>
    public static readonly DateTimeOffset ProvisionalLockEnd = new(9998, 1, 1, 0, 0, 0, TimeSpan.Zero);
}
