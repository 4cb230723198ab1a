namespace IdentityTwoFactor.Identity;

/// <summary>A budget's answer: allowed (with the way to give the claim back if no text goes), or refused with the wait.</summary>
public sealed record BudgetDecision(BudgetRefusal Refusal, TimeSpan RetryAfter, Func<Task>? Refund = null)
{
    public bool Allowed => Refusal == BudgetRefusal.None;

    internal static BudgetDecision Free { get; } = new(BudgetRefusal.None, TimeSpan.Zero, () => Task.CompletedTask);
}
