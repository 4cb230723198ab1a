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

    /// <summary>Identity's phone-change purposes carry the new number (<c>ChangePhoneNumber:+1...</c>).</summary>
    public const string ChangePhonePrefix = "ChangePhoneNumber:";

    /// <summary>The purpose as logs may show it: its kind only, never the number a phone-change purpose carries.</summary>
    public static string KindOf(string purpose) => purpose switch
    {
        Unlock => "unlock",
        ResetPassword => "reset-password",
        ConfirmPhone => "confirm-phone",
        SignIn => "sign-in",
        _ when purpose.StartsWith(ChangePhonePrefix, StringComparison.Ordinal) => "change-phone",
        _ when purpose.StartsWith(ApprovePhoneChangePrefix, StringComparison.Ordinal) => "approve-phone-change",
        _ => "other",
    };

    /// <summary>Which part of the daily budget a purpose's texts draw on. The approval of a phone change goes to the
    /// account's confirmed number, like the other ways back in.</summary>
    public static TextKind TextKindOf(string purpose) =>
        purpose == ConfirmPhone || purpose.StartsWith(ChangePhonePrefix, StringComparison.Ordinal) ? TextKind.NewNumber : TextKind.WayBackIn;
}
