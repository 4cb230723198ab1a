using System.Globalization;
using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Stores;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Budgets;

/// <summary>Why a text was refused.</summary>
public enum SmsBudgetRefusal
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>The account's last text was too recent (<see cref="SmsTwoFactorOptions.ResendCooldown"/>).</summary>
    Cooldown,

    /// <summary>The account's texts this hour (<see cref="SmsTwoFactorOptions.MaxTextsPerAccountPerHour"/>).</summary>
    AccountHourlyCap,

    /// <summary>The number's texts this hour (<see cref="SmsTwoFactorOptions.MaxTextsPerNumberPerHour"/>).</summary>
    NumberHourlyCap,

    /// <summary>The number's texts today (<see cref="SmsTwoFactorOptions.MaxTextsPerNumberPerDay"/>).</summary>
    NumberDailyCap,

    /// <summary>The app's texts today (<see cref="SmsTwoFactorOptions.MaxTextsPerDay"/>).</summary>
    DailyCap,
}

/// <summary>A budget's answer: allowed (and how to give the claim back if the text does not go), or refused with the wait.</summary>
/// <param name="Refusal">Why it was refused, or <see cref="SmsBudgetRefusal.None"/>.</param>
/// <param name="RetryAfter">How long until a text can be allowed.</param>
public sealed record SmsBudgetClaim(SmsBudgetRefusal Refusal, TimeSpan RetryAfter)
{
    internal IReadOnlyList<Func<Task>> Refunds { get; init; } = [];

    /// <summary>True when the text may be sent.</summary>
    public bool Allowed => Refusal == SmsBudgetRefusal.None;

    /// <summary>Gives the claim back (a text that did not go).</summary>
    /// <returns>A task.</returns>
    public async Task RefundAsync()
    {
        foreach (var refund in Refunds)
        {
            await refund();
        }
    }
}

/// <summary>
/// The SMS budgets, in the app's database so they hold across restarts and instances: per account a cooldown and an
/// hourly cap; per destination number an hourly and a daily cap; for the app a daily cap. Each claim is one
/// conditional UPDATE through Entity Framework Core (or one INSERT for a key's first text), so parallel requests cannot
/// overspend; a text that does not go is refunded. Keys name accounts and numbers only by a keyed pseudonym.
/// </summary>
public class SmsBudget
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private readonly DbContext _db;
    private readonly SmsTwoFactorOptions _options;
    private readonly TimeProvider _time;
    private readonly SmsCodeHasher _hasher;

    /// <summary>Creates the budget over the app's Identity context.</summary>
    /// <param name="db">A context whose model has the library's tables.</param>
    /// <param name="options">The library's options.</param>
    /// <param name="time">The clock.</param>
    /// <param name="hasher">Makes the pseudonyms.</param>
    public SmsBudget(DbContext db, IOptions<SmsTwoFactorOptions> options, TimeProvider time, SmsCodeHasher hasher)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_db, _options, _time, _hasher) = (db, options.Value, time, hasher);
    }

    private DbSet<SmsBudgetEntry> Budgets => _db.Set<SmsBudgetEntry>();

    /// <summary>Claims one text for the account <paramref name="userId"/> to <paramref name="phone"/>: the account's,
    /// the number's and the app's budgets, all or none.</summary>
    /// <param name="userId">The account.</param>
    /// <param name="phone">The destination number.</param>
    /// <param name="ignoreCooldown">Skip the account's cooldown (the text sent when an account locks, once per lock).</param>
    /// <returns>The claim, to refund if the text does not go.</returns>
    public virtual async Task<SmsBudgetClaim> TryClaimAsync(string userId, string phone, bool ignoreCooldown = false)
    {
        var o = _options;
        var now = _time.GetUtcNow().UtcDateTime;
        var number = _hasher.Pseudonym("phone", phone);
        var claims = new (string Key, TimeSpan Cooldown, TimeSpan Window, int Max, SmsBudgetRefusal Refusal)[]
        {
            ("user:" + _hasher.Pseudonym("user", userId), ignoreCooldown ? TimeSpan.Zero : o.ResendCooldown, Hour, o.MaxTextsPerAccountPerHour, SmsBudgetRefusal.AccountHourlyCap),
            ("number-h:" + number, TimeSpan.Zero, Hour, o.MaxTextsPerNumberPerHour, SmsBudgetRefusal.NumberHourlyCap),
            ("number-d:" + number, TimeSpan.Zero, Day, o.MaxTextsPerNumberPerDay, SmsBudgetRefusal.NumberDailyCap),
            ("site:" + now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), TimeSpan.Zero, Day, o.MaxTextsPerDay, SmsBudgetRefusal.DailyCap),
        };
        var refunds = new List<Func<Task>>();
        foreach (var (key, cooldown, window, max, refusal) in claims)
        {
            if (cooldown <= TimeSpan.Zero && max <= 0)
            {
                continue;
            }
            var (claimed, retryAfter, refund) = await ClaimAsync(key, now, cooldown, window, max);
            if (!claimed)
            {
                var partial = new SmsBudgetClaim(SmsBudgetRefusal.None, TimeSpan.Zero) { Refunds = refunds };
                await partial.RefundAsync();
                return new SmsBudgetClaim(retryAfter.Cooldown ? SmsBudgetRefusal.Cooldown : refusal, retryAfter.Wait);
            }
            refunds.Add(refund!);
        }
        return new SmsBudgetClaim(SmsBudgetRefusal.None, TimeSpan.Zero) { Refunds = refunds };
    }

    /// <summary>Deletes budget rows whose windows and cooldowns are over.</summary>
    /// <returns>How many rows were deleted.</returns>
    public virtual Task<int> PruneAsync()
    {
        var dayAgo = _time.GetUtcNow().UtcDateTime - Day;
        return Budgets.Where(b => (b.WindowStartUtc == null || b.WindowStartUtc <= dayAgo) && (b.LastSentUtc == null || b.LastSentUtc <= dayAgo))
            .ExecuteDeleteAsync();
    }

    private async Task<(bool Claimed, (bool Cooldown, TimeSpan Wait) RetryAfter, Func<Task>? Refund)> ClaimAsync(
        string key, DateTime now, TimeSpan cooldown, TimeSpan window, int max)
    {
        var cooledSince = now - cooldown;
        var windowOpenedAfter = now - window;
        var unlimited = max <= 0;
        for (var round = 0; round < 3; round++)
        {
            var before = await Budgets.AsNoTracking().Where(b => b.Key == key).Select(b => new { b.LastSentUtc }).FirstOrDefaultAsync();
            if (before is null)
            {
                // The key's first text: an INSERT that a parallel first text may win, after which the UPDATE below applies.
                var entry = Budgets.Add(new SmsBudgetEntry { Key = key, CountInWindow = 1, WindowStartUtc = now, LastSentUtc = now });
                try
                {
                    await _db.SaveChangesAsync();
                    return (true, default, () => RefundAsync(key, now, null));
                }
                catch (DbUpdateException)
                {
                    // Someone inserted it first (or the database refused): read again.
                }
                finally
                {
                    entry.State = EntityState.Detached;
                }
                continue;
            }
            var claimed = await Budgets
                .Where(b => b.Key == key
                    && (b.LastSentUtc == null || b.LastSentUtc <= cooledSince)
                    && (unlimited || b.WindowStartUtc == null || b.WindowStartUtc <= windowOpenedAfter || b.CountInWindow < max))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(b => b.LastSentUtc, now)
                    .SetProperty(b => b.CountInWindow, b => b.WindowStartUtc == null || b.WindowStartUtc <= windowOpenedAfter ? 1 : b.CountInWindow + 1)
                    .SetProperty(b => b.WindowStartUtc, b => b.WindowStartUtc == null || b.WindowStartUtc <= windowOpenedAfter ? now : b.WindowStartUtc));
            if (claimed == 1)
            {
                var previous = before.LastSentUtc;
                return (true, default, () => RefundAsync(key, now, previous));
            }
            var state = await Budgets.AsNoTracking().FirstOrDefaultAsync(b => b.Key == key);
            if (state is null)
            {
                continue;
            }
            var cooldownLeft = state.LastSentUtc is { } last ? last + cooldown - now : TimeSpan.Zero;
            var windowLeft = !unlimited && state is { WindowStartUtc: { } start } && state.CountInWindow >= max ? start + window - now : TimeSpan.Zero;
            return windowLeft > TimeSpan.Zero && windowLeft >= cooldownLeft
                ? (false, (false, windowLeft), null)
                : (false, (true, cooldownLeft > TimeSpan.Zero ? cooldownLeft : TimeSpan.FromSeconds(1)), null);
        }
        throw new InvalidOperationException($"Could not claim the SMS budget {key}: the row kept appearing and disappearing.");
    }

    private Task<int> RefundAsync(string key, DateTime claimedAt, DateTime? previousLastSent) =>
        Budgets.Where(b => b.Key == key && b.LastSentUtc == claimedAt && b.CountInWindow > 0)
            .ExecuteUpdateAsync(s => s
                .SetProperty(b => b.CountInWindow, b => b.CountInWindow - 1)
                .SetProperty(b => b.LastSentUtc, previousLastSent));
}
