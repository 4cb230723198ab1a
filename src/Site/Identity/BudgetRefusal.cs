namespace IdentityTwoFactor.Identity;

/// <summary>Why a text was refused before it was sent, and when to try again.</summary>
public enum BudgetRefusal
{
    None,
    /// <summary>The account (or email) had a text less than <c>TwoFactor:ResendCooldown</c> ago.</summary>
    Cooldown,
    /// <summary>The account (or email) reached <c>TwoFactor:MaxTextsPerHour</c>.</summary>
    HourlyCap,
    /// <summary>The site reached <c>TwoFactor:MaxTextsPerDay</c> (all accounts together).</summary>
    DailyCap,
    /// <summary>Signup and phone-confirmation texts reached their share of the daily cap (<c>TwoFactor:SignupShareOfDailyTexts</c>).</summary>
    SignupShare,
    /// <summary>The destination number reached <c>TwoFactor:MaxTextsPerNumberPerHour</c> (all accounts together).</summary>
    NumberHourlyCap,
    /// <summary>The destination number reached <c>TwoFactor:MaxTextsPerNumberPerDay</c> (all accounts together).</summary>
    NumberDailyCap,
}
