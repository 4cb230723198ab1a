namespace IdentityTwoFactor.Identity;

/// <summary>The purposes a code can be issued for. A code is bound to its purpose and never validates for another.</summary>
public static class CodePurposes
{
    public const string Unlock = "Unlock";
    /// <summary>The purpose <see cref="Microsoft.AspNetCore.Identity.UserManager{TUser}.ResetPasswordAsync"/> uses.</summary>
    public const string ResetPassword = "ResetPassword";
    public const string ConfirmPhone = "ConfirmPhone";
    public const string SignIn = "TwoFactor";

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
        _ => "other",
    };

    /// <summary>Which part of the daily budget a purpose's texts draw on.</summary>
    public static TextKind TextKindOf(string purpose) =>
        purpose == ConfirmPhone || purpose.StartsWith(ChangePhonePrefix, StringComparison.Ordinal) ? TextKind.NewNumber : TextKind.WayBackIn;
}
