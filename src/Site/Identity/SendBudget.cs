namespace IdentityTwoFactor.Identity;

/// <summary>
/// How many texts one key (a user, an unknown email, or the whole site for a day) has used in its current window,
/// and when it last used one. Kept in the database so limits hold across restarts and instances.
/// </summary>
public class SendBudget
{
    public string Key { get; set; } = "";
    public DateTime? LastSentUtc { get; set; }
    public DateTime? WindowStartUtc { get; set; }
    public int CountInWindow { get; set; }
}
