using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity;

/// <summary>Records and reads an account's security events (time, client IP, user agent) and prunes old ones.</summary>
public interface ISecurityEventLog
{
    Task RecordAsync(string userId, string kind, CancellationToken cancellationToken = default);

    /// <summary>An event with a detail shown beside it (which account a support agent acted on).</summary>
    Task RecordAsync(string userId, string kind, string? detail, CancellationToken cancellationToken = default);

    /// <summary>How many events of <paramref name="kind"/> the user has since <paramref name="sinceUtc"/>.</summary>
    Task<int> CountSinceAsync(string userId, string kind, DateTime sinceUtc, CancellationToken cancellationToken = default);

    /// <summary>Newest first; <paramref name="page"/> counts from 1.</summary>
    Task<IReadOnlyList<SecurityEvent>> ListAsync(string userId, int page, int pageSize, CancellationToken cancellationToken = default);

    Task<int> CountAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Deletes events older than <c>TwoFactor:SecurityEventRetention</c>; returns how many.</summary>
    Task<int> PruneAsync(CancellationToken cancellationToken = default);
}

public sealed class SecurityEventLog<TContext>(TContext db, TimeProvider time, IOptions<TwoFactorOptions> options, IHttpContextAccessor? http = null)
    : ISecurityEventLog
    where TContext : DbContext, ITwoFactorDbContext
{
    public Task RecordAsync(string userId, string kind, CancellationToken cancellationToken = default) =>
        RecordAsync(userId, kind, null, cancellationToken);

    public async Task RecordAsync(string userId, string kind, string? detail, CancellationToken cancellationToken = default)
    {
        var request = http?.HttpContext;
        var agent = request?.Request.Headers.UserAgent.ToString();
        agent = string.IsNullOrEmpty(agent) ? null : new string(agent.Where(c => !char.IsControl(c)).Take(200).ToArray());
        var ip = request?.Connection.RemoteIpAddress?.ToString();
        var at = time.GetUtcNow().UtcDateTime;
        // A plain INSERT, not SaveChanges: the context may track a user with pending changes that are not ours to save.
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "SecurityEvents" ("UserId", "Kind", "AtUtc", "IpAddress", "UserAgent", "Detail") VALUES ({userId}, {kind}, {at}, {ip}, {agent}, {detail})""",
            cancellationToken);
    }

    public async Task<IReadOnlyList<SecurityEvent>> ListAsync(string userId, int page, int pageSize, CancellationToken cancellationToken = default) =>
        await db.SecurityEvents.AsNoTracking()
            .Where(e => e.UserId == userId)
            .OrderByDescending(e => e.AtUtc).ThenByDescending(e => e.Id)
            .Skip((Math.Max(page, 1) - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);

    public Task<int> CountSinceAsync(string userId, string kind, DateTime sinceUtc, CancellationToken cancellationToken = default) =>
        db.SecurityEvents.CountAsync(e => e.UserId == userId && e.Kind == kind && e.AtUtc > sinceUtc, cancellationToken);

    public Task<int> CountAsync(string userId, CancellationToken cancellationToken = default) =>
        db.SecurityEvents.CountAsync(e => e.UserId == userId, cancellationToken);

    public Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.SecurityEventRetention;
        return db.SecurityEvents.Where(e => e.AtUtc < cutoff).ExecuteDeleteAsync(cancellationToken);
    }
}
