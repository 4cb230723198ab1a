using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>
/// The SMS budget (SMS pumping costs real money), all in the database so it holds across restarts and instances:
/// <list type="bullet">
/// <item>per account, or per email on the forms anyone can post: a cooldown between texts and a cap per hour;</item>
/// <item>per destination number, across all accounts and purposes: a cap per hour and per day;</item>
/// <item>for the whole site: a cap per UTC day, of which new numbers (signups, confirmations, phone changes) may
///   use only their share, so the rest stays for the owners' way back in (unlock, reset, sign-in).</item>
/// </list>
/// Each claim is one conditional UPDATE, so parallel requests cannot overspend. Shared budgets (the site's day, the
/// numbers) are claimed only for a text about to be handed to the provider; a send that then fails is refunded.
/// Keys name emails and numbers only by a keyed pseudonym (<see cref="CodeHasher.Pseudonym"/>).
/// </summary>
public sealed partial class SmsBudget<TContext>(TContext db, IOptions<TwoFactorOptions> options, TimeProvider time, CodeHasher hasher,
    ILogger<SmsBudget<TContext>> logger, DailyTextsGauge gauge)
    : ISmsBudget
    where TContext : DbContext, ITwoFactorDbContext
{
    private const string EmailPrefix = "email:";
    private const string UserPrefix = "user:";
    private const string SitePrefix = "site:";
    private const string NumberHourPrefix = "number-h:";
    private const string NumberDayPrefix = "number-d:";

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    public string KeyForEmail(string email) => EmailPrefix + hasher.Pseudonym("email", email.Trim().Normalize().ToUpperInvariant());

    public string KeyForAccount(string userId, string? email) =>
        string.IsNullOrWhiteSpace(email) ? UserPrefix + userId : KeyForEmail(email);

    public async Task<BudgetDecision> TryClaimAccountAsync(string accountKey, bool ignoreCooldown, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var o = options.Value;
        var cooldown = ignoreCooldown ? TimeSpan.Zero : o.ResendCooldown;
        if (cooldown <= TimeSpan.Zero && o.MaxTextsPerHour <= 0)
        {
            // Neither a cooldown nor an hourly cap applies: there is nothing to count, so nothing is written.
            return BudgetDecision.Free;
        }
        return await ClaimAsync(accountKey, time.GetUtcNow().UtcDateTime, cooldown, Hour, o.MaxTextsPerHour, BudgetRefusal.HourlyCap);
    }

    public async Task<BudgetDecision> TryClaimSharedAsync(string phone, TextKind kind, CancellationToken cancellationToken)
    {
        // Checked once, before the first statement: a claim is never left half made (one part claimed, the next
        // cancelled), so every claim that stands is refunded by the caller's own path.
        cancellationToken.ThrowIfCancellationRequested();
        var o = options.Value;
        if (o.MaxTextsPerDay <= 0 && o.MaxTextsPerNumberPerHour <= 0 && o.MaxTextsPerNumberPerDay <= 0)
        {
            return BudgetDecision.Free;
        }
        // The three claims in one transaction: one commit (on SQLite one fsync) instead of three, and a refused claim
        // rolls back the ones before it. The provider's execution strategy may run it again after a server restart.
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(
            (budget: this, phone, kind), static (state, _) => state.budget.ClaimSharedInTransactionAsync(state.phone, state.kind), CancellationToken.None);
    }

    private async Task<BudgetDecision> ClaimSharedInTransactionAsync(string phone, TextKind kind)
    {
        var o = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var claimed = new List<BudgetDecision>(3);
        await using var transaction = await db.Database.BeginTransactionAsync();

        // The site's day first: the forms anyone can post answer a full day the same for real and unknown emails.
        if (o.MaxTextsPerDay > 0)
        {
            var site = await ClaimAsync(DayKey(now), now, TimeSpan.Zero, Day, DailyMax(kind), BudgetRefusal.DailyCap);
            if (!site.Allowed)
            {
                await transaction.RollbackAsync();
                return DayRefused(kind, now);
            }
            claimed.Add(site);
        }
        if (o.MaxTextsPerNumberPerHour > 0)
        {
            var hour = await ClaimAsync(NumberHourPrefix + hasher.Pseudonym("phone", phone), now, TimeSpan.Zero, Hour, o.MaxTextsPerNumberPerHour, BudgetRefusal.NumberHourlyCap);
            if (!hour.Allowed)
            {
                await transaction.RollbackAsync();
                LogNumberCapReached(logger, "hour");
                return hour with { Refusal = BudgetRefusal.NumberHourlyCap };
            }
            claimed.Add(hour);
        }
        if (o.MaxTextsPerNumberPerDay > 0)
        {
            var day = await ClaimAsync(NumberDayPrefix + hasher.Pseudonym("phone", phone), now, TimeSpan.Zero, Day, o.MaxTextsPerNumberPerDay, BudgetRefusal.NumberDailyCap);
            if (!day.Allowed)
            {
                await transaction.RollbackAsync();
                LogNumberCapReached(logger, "day");
                return day with { Refusal = BudgetRefusal.NumberDailyCap };
            }
            claimed.Add(day);
        }
        await transaction.CommitAsync();
        gauge.Invalidate();
        return BudgetDecision.Free with { Refund = () => RefundAllAsync(claimed) };
    }

    public async Task<BudgetDecision> PeekDayAsync(TextKind kind, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.MaxTextsPerDay <= 0)
        {
            return BudgetDecision.Free;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var key = DayKey(now);
        var row = await db.SendBudgets.AsNoTracking().FirstOrDefaultAsync(b => b.Key == key, cancellationToken);
        var full = row is { WindowStartUtc: { } start } && start > now - Day && row.CountInWindow >= DailyMax(kind);
        return full ? DayRefused(kind, now) : BudgetDecision.Free;
    }

    public async Task<int?> TextsLeftTodayAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.MaxTextsPerDay <= 0)
        {
            return null;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var key = DayKey(now);
        var row = await db.SendBudgets.AsNoTracking().FirstOrDefaultAsync(b => b.Key == key, cancellationToken);
        var used = row is { WindowStartUtc: { } start } && start > now - Day ? row.CountInWindow : 0;
        return Math.Max(0, o.MaxTextsPerDay - used);
    }

    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        // A row whose window and cooldown are both over counts for nothing: the next claim would start it afresh.
        // Day windows: the site's days and the numbers' days; every other key has an hour window and a cooldown of
        // at most an hour (TwoFactor:ResendCooldown's upper bound).
        var now = time.GetUtcNow().UtcDateTime;
        var dayAgo = now - Day;
        var hourAgo = now - Hour;
        var days = await db.SendBudgets
            .Where(b => (b.Key.StartsWith(SitePrefix) || b.Key.StartsWith(NumberDayPrefix))
                && (b.WindowStartUtc == null || b.WindowStartUtc <= dayAgo) && (b.LastSentUtc == null || b.LastSentUtc <= dayAgo))
            .ExecuteDeleteAsync(cancellationToken);
        var hours = await db.SendBudgets
            .Where(b => !b.Key.StartsWith(SitePrefix) && !b.Key.StartsWith(NumberDayPrefix)
                && (b.WindowStartUtc == null || b.WindowStartUtc <= hourAgo) && (b.LastSentUtc == null || b.LastSentUtc <= hourAgo))
            .ExecuteDeleteAsync(cancellationToken);
        return days + hours;
    }

    private static string DayKey(DateTime now) => SitePrefix + now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>New numbers get their share of the day (at least one text, so a tiny cap still lets signups through).</summary>
    private int DailyMax(TextKind kind)
    {
        var o = options.Value;
        return kind == TextKind.NewNumber ? Math.Max(1, (int)((long)o.MaxTextsPerDay * o.SignupShareOfDailyTexts / 100)) : o.MaxTextsPerDay;
    }

    private BudgetDecision DayRefused(TextKind kind, DateTime now)
    {
        var o = options.Value;
        var refusal = kind == TextKind.NewNumber && DailyMax(kind) < o.MaxTextsPerDay ? BudgetRefusal.SignupShare : BudgetRefusal.DailyCap;
        if (refusal == BudgetRefusal.DailyCap)
        {
            LogDailyCapReached(logger, o.MaxTextsPerDay);
        }
        else
        {
            LogSignupShareReached(logger, DailyMax(kind));
        }
        return new BudgetDecision(refusal, now.Date.AddDays(1) - now);
    }

    private async Task RefundAllAsync(List<BudgetDecision> claims)
    {
        foreach (var claim in claims)
        {
            await claim.Refund!();
        }
        gauge.Invalidate();
    }

    /// <summary>One conditional UPDATE claims a text under <paramref name="key"/>. Statements are not cancellable:
    /// see <see cref="TryClaimSharedAsync"/>.</summary>
    private async Task<BudgetDecision> ClaimAsync(string key, DateTime now, TimeSpan cooldown, TimeSpan window, int max, BudgetRefusal capRefusal)
    {
        var cooledSince = now - cooldown;
        var windowOpenedAfter = now - window;
        var unlimited = max <= 0;
        // Twice at most: the pruner may delete a spent row between the INSERT and the UPDATE; the second round
        // inserts it again.
        for (var attempt = 0; ; attempt++)
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""INSERT INTO "SendBudgets" ("Key", "CountInWindow") VALUES ({key}, 0) ON CONFLICT ("Key") DO NOTHING""");

            var before = await db.SendBudgets.AsNoTracking().Where(b => b.Key == key).Select(b => b.LastSentUtc).ToListAsync();
            var claimed = await db.SendBudgets
                .Where(b => b.Key == key
                    && (b.LastSentUtc == null || b.LastSentUtc <= cooledSince)
                    && (unlimited || b.WindowStartUtc == null || b.WindowStartUtc <= windowOpenedAfter || b.CountInWindow < max))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(b => b.LastSentUtc, now)
                    .SetProperty(b => b.CountInWindow, b => b.WindowStartUtc == null || b.WindowStartUtc <= windowOpenedAfter ? 1 : b.CountInWindow + 1)
                    .SetProperty(b => b.WindowStartUtc, b => b.WindowStartUtc == null || b.WindowStartUtc <= windowOpenedAfter ? now : b.WindowStartUtc));

            if (claimed == 1)
            {
                var previous = before.Count == 1 ? before[0] : null;
                return new BudgetDecision(BudgetRefusal.None, TimeSpan.Zero, () => RefundAsync(key, now, previous));
            }

            var state = await db.SendBudgets.AsNoTracking().FirstOrDefaultAsync(b => b.Key == key);
            if (state is null && attempt == 0)
            {
                continue;
            }
            var cooldownLeft = state?.LastSentUtc is { } last ? last + cooldown - now : TimeSpan.Zero;
            var windowLeft = !unlimited && state is { WindowStartUtc: { } start } && state.CountInWindow >= max ? start + window - now : TimeSpan.Zero;
            return windowLeft > TimeSpan.Zero && windowLeft >= cooldownLeft
                ? new BudgetDecision(capRefusal, windowLeft)
                : new BudgetDecision(BudgetRefusal.Cooldown, cooldownLeft > TimeSpan.Zero ? cooldownLeft : TimeSpan.FromSeconds(1));
        }
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

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Texts to new numbers reached their share of the day ({SignupTexts}): signup and phone-confirmation texts are refused until midnight UTC")]
    private static partial void LogSignupShareReached(ILogger logger, int signupTexts);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "A phone number reached its cap of texts per {Window}")]
    private static partial void LogNumberCapReached(ILogger logger, string window);
}
