namespace IdentityTwoFactor.Identity;

/// <summary>Which part of the site's daily texts a text draws on (<c>TwoFactor:SignupShareOfDailyTexts</c>).</summary>
public enum TextKind
{
    /// <summary>Unlock, password-reset and sign-in codes: the owner's way back in, which may use the whole daily cap.</summary>
    WayBackIn,
    /// <summary>Signup, phone-confirmation and phone-change codes: to numbers nobody has proved yet, the texts SMS
    /// pumping buys; they may use only the signup share of the daily cap.</summary>
    NewNumber,
}
