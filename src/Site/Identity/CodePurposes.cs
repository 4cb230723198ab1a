namespace IdentityTwoFactor.Identity;

/// <summary>The purposes a code can be issued for. A code is bound to its purpose and never validates for another.</summary>
public static class CodePurposes
{
    public const string Unlock = "Unlock";
    /// <summary>The purpose <see cref="Microsoft.AspNetCore.Identity.UserManager{TUser}.ResetPasswordAsync"/> uses.</summary>
    public const string ResetPassword = "ResetPassword";
    public const string ConfirmPhone = "ConfirmPhone";
    public const string SignIn = "TwoFactor";

    /// <summary>Texted to the <em>current</em> confirmed number to approve moving the account to the number that
    /// follows the prefix: the phone is the second factor, so a stolen session cannot replace it alone.</summary>
    public const string ApprovePhoneChangePrefix = "ApprovePhoneChange:";
}
