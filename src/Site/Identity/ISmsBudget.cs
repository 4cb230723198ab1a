namespace IdentityTwoFactor.Identity;

/// <summary>The SMS budget; see <see cref="SmsBudget{TContext}"/>.</summary>
public interface ISmsBudget
{
    /// <summary>The key of an email on the forms anyone can post (unlock resend, reset, confirm-phone resend), and of
    /// the account that has it: real and unknown emails meet the same cooldown and hourly cap.</summary>
    string KeyForEmail(string email);

    /// <summary>An account's key: its email's (so texts from signed-in pages and from the anonymous forms share one
    /// budget), or its id when it has no email.</summary>
    string KeyForAccount(string userId, string? email);

    /// <summary>Claims one request under an account's or an email's key: <c>TwoFactor:ResendCooldown</c> and
    /// <c>TwoFactor:MaxTextsPerHour</c>. Writes only that key's row.</summary>
    Task<BudgetDecision> TryClaimAccountAsync(string accountKey, bool ignoreCooldown, CancellationToken cancellationToken);

    /// <summary>Claims the shared budgets of one text about to be sent to <paramref name="phone"/>: the site's day
    /// (its share for <paramref name="kind"/>) and the number's hour and day. Only for a text that will be sent.</summary>
    Task<BudgetDecision> TryClaimSharedAsync(string phone, TextKind kind, CancellationToken cancellationToken);

    /// <summary>Whether the site's day would refuse a text of <paramref name="kind"/>, without claiming anything.</summary>
    Task<BudgetDecision> PeekDayAsync(TextKind kind, CancellationToken cancellationToken);

    /// <summary>How many texts the site's day still allows (all instances together), or null when there is no daily cap.
    /// One read, nothing claimed.</summary>
    Task<int?> TextsLeftTodayAsync(CancellationToken cancellationToken);

    /// <summary>Deletes rows whose window and cooldown are over; returns how many.</summary>
    Task<int> PruneAsync(CancellationToken cancellationToken);
}
