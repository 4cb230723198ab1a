using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>Why a text was refused before it was sent, and when to try again.</summary>
public enum BudgetRefusal
{
    None,
    /// <summary>The account had a text less than <c>TwoFactor:ResendCooldown</c> ago.</summary>
    Cooldown,
    /// <summary>The account reached <c>TwoFactor:MaxTextsPerHour</c>.</summary>
    HourlyCap,
    /// <summary>The site reached <c>TwoFactor:MaxTextsPerDay</c> (all accounts together).</summary>
    DailyCap,
}

public sealed record BudgetDecision(BudgetRefusal Refusal, TimeSpan RetryAfter, Func<Task>? Refund = null)
{
    public bool Allowed => Refusal == BudgetRefusal.None;
}

/// <summary>
/// The SMS budget (SMS pumping costs real money): per account a cooldown between texts and a cap per hour, and a
/// cap of texts per day for the whole site. Each claim is one conditional UPDATE, so parallel requests cannot
/// overspend; a send that then fails is refunded.
/// </summary>
public sealed partial class SmsBudget<TContext>(TContext db, IOptions<TwoFactorOptions> options, TimeProvider time, ILogger<SmsBudget<TContext>> logger)
    : ISmsBudget
    where TContext : DbContext, ITwoFactorDbContext
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    public async Task<BudgetDecision> TryClaimAsync(string accountKey, CancellationToken cancellationToken, bool ignoreCooldown = false)
    {
        var o = options.Value;
        var now = time.GetUtcNow().UtcDateTime;

        var account = await ClaimAsync("account:" + accountKey, now, ignoreCooldown ? TimeSpan.Zero : o.ResendCooldown, Hour, o.MaxTextsPerHour, cancellationToken);
        if (!account.Allowed)
        {
            return account;
        }
        if (o.MaxTextsPerDay <= 0)
        {
            return account;
        }
        var dayKey = "site:" + now.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var site = await ClaimAsync(dayKey, now, TimeSpan.Zero, Day, o.MaxTextsPerDay, cancellationToken);
        if (!site.Allowed)
        {
            await account.Refund!();
            LogDailyCapReached(logger, o.MaxTextsPerDay);
            return site with { Refusal = BudgetRefusal.DailyCap, RetryAfter = now.Date.AddDays(1) - now };
        }
        return account with { Refund = async () => { await account.Refund!(); await site.Refund!(); } };
    }

    private async Task<BudgetDecision> ClaimAsync(string key, DateTime now, TimeSpan cooldown, TimeSpan window, int max, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "SendBudgets" ("Key", "CountInWindow") VALUES ({key}, 0) ON CONFLICT ("Key") DO NOTHING""", cancellationToken);

        var before = await db.SendBudgets.AsNoTracking().FirstAsync(b => b.Key == key, cancellationToken);
        var cooledSince = now - cooldown;
        var windowOpenedAfter = now - window;
        var unlimited = max <= 0;

        var claimed = await db.SendBudgets
            .Where(b => b.Key == key
                && (b.LastSentUtc == null || b.LastSentUtc <= cooledSince)
                && (unlimited || b.WindowStartUtc == null || b.WindowStartUtc <= windowOpenedAfter || b.CountInWindow < max))
            .ExecuteUpdateAsync(s => s
                .SetProperty(b => b.LastSentUtc, now)
                .SetProperty(b => b.CountInWindow, b => b.WindowStartUtc == null || b.WindowStartUtc <= windowOpenedAfter ? 1 : b.CountInWindow + 1)
                .SetProperty(b => b.WindowStartUtc, b => b.WindowStartUtc == null || b.WindowStartUtc <= windowOpenedAfter ? now : b.WindowStartUtc),
                cancellationToken);

        if (claimed == 1)
        {
            return new BudgetDecision(BudgetRefusal.None, TimeSpan.Zero, () => RefundAsync(key, now, before.LastSentUtc));
        }

        var state = await db.SendBudgets.AsNoTracking().FirstAsync(b => b.Key == key, cancellationToken);
        var cooldownLeft = state.LastSentUtc is { } last ? last + cooldown - now : TimeSpan.Zero;
        var windowLeft = !unlimited && state.CountInWindow >= max && state.WindowStartUtc is { } start ? start + window - now : TimeSpan.Zero;
        return windowLeft > TimeSpan.Zero && windowLeft >= cooldownLeft
            ? new BudgetDecision(BudgetRefusal.HourlyCap, windowLeft)
            : new BudgetDecision(BudgetRefusal.Cooldown, cooldownLeft > TimeSpan.Zero ? cooldownLeft : TimeSpan.FromSeconds(1));
    }

    /// <summary>Gives back a claim whose text was not sent, unless a later claim already replaced it.</summary>
    private Task<int> RefundAsync(string key, DateTime claimedAt, DateTime? previousLastSent) =>
        db.SendBudgets
            .Where(b => b.Key == key && b.LastSentUtc == claimedAt && b.CountInWindow > 0)
            .ExecuteUpdateAsync(s => s
                .SetProperty(b => b.CountInWindow, b => b.CountInWindow - 1)
                .SetProperty(b => b.LastSentUtc, previousLastSent));

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "The daily cap of {MaxTextsPerDay} texts is reached: texts are refused until midnight UTC")]
    private static partial void LogDailyCapReached(ILogger logger, int maxTextsPerDay);
}

public interface ISmsBudget
{
    /// <summary>Claims one text for <paramref name="accountKey"/> (a user id, or <see cref="KeyForEmail"/>).</summary>
    Task<BudgetDecision> TryClaimAsync(string accountKey, CancellationToken cancellationToken, bool ignoreCooldown = false);

    /// <summary>
    /// A stable key for an email that gets no text (no account, or an account not in the state the request needs),
    /// so it meets the same cooldowns as a real account would, and answers do not tell the two apart.
    /// </summary>
    static string KeyForEmail(string email) =>
        "email:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(email.Trim().ToUpperInvariant())))[..32];
}
