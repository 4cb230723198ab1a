using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Events;

/// <summary>The default <see cref="ISecurityEventLog"/>: events in the app's own context, in the table
/// <see cref="Stores.SmsTwoFactorModelBuilderExtensions.AddSmsTwoFactor"/> added to its model.</summary>
/// <param name="db">The app's Identity context.</param>
/// <param name="time">The clock.</param>
/// <param name="options">The library's options (the retention).</param>
/// <param name="http">The current request, for the client's address and user agent.</param>
public class SecurityEventLog(DbContext db, TimeProvider time, IOptions<SmsTwoFactorOptions> options, IHttpContextAccessor? http = null)
    : ISecurityEventLog
{
    private static readonly ConditionalWeakTable<IModel, string> InsertStatements = new();

    private DbSet<SecurityEvent> Events => db.Set<SecurityEvent>();

    /// <summary>Writes the row with one INSERT of its own, not <c>SaveChanges</c>: the context may track the app's changes
    /// (a user being edited) that are not the log's to save. The statement names the table and columns the model maps, in
    /// the provider's quoting, so renamed tables and schemas work on any relational provider.</summary>
    /// <inheritdoc />
    public virtual async Task RecordAsync(string userId, string kind, string? detail = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        var request = http?.HttpContext;
        var agent = request?.Request.Headers.UserAgent.ToString();
        agent = string.IsNullOrEmpty(agent) ? null : new string(agent.Where(c => !char.IsControl(c)).Take(200).ToArray());
        var ip = request?.Connection.RemoteIpAddress?.ToString();
        var at = time.GetUtcNow().UtcDateTime;
        await db.Database.ExecuteSqlRawAsync(InsertStatements.GetValue(db.Model, _ => InsertStatement()),
            [userId, kind, at, ip!, agent!, detail!], cancellationToken);
    }

    /// <inheritdoc />
    public virtual async Task<IReadOnlyList<SecurityEvent>> ListAsync(string userId, int page, int pageSize, CancellationToken cancellationToken = default) =>
        await Events.AsNoTracking()
            .Where(e => e.UserId == userId)
            .OrderByDescending(e => e.AtUtc).ThenByDescending(e => e.Id)
            .Skip((Math.Max(page, 1) - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);

    /// <inheritdoc />
    public virtual Task<int> CountAsync(string userId, CancellationToken cancellationToken = default) =>
        Events.CountAsync(e => e.UserId == userId, cancellationToken);

    /// <inheritdoc />
    public virtual Task<int> CountSinceAsync(string userId, string kind, DateTime sinceUtc, CancellationToken cancellationToken = default) =>
        Events.CountAsync(e => e.UserId == userId && e.Kind == kind && e.AtUtc > sinceUtc, cancellationToken);

    /// <inheritdoc />
    public virtual Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.SecurityEventRetention;
        return Events.Where(e => e.AtUtc < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    private string InsertStatement()
    {
        var entity = db.Model.FindEntityType(typeof(SecurityEvent))
            ?? throw new InvalidOperationException($"The context {db.GetType().Name} has no security events table: call modelBuilder.AddSmsTwoFactor() in its OnModelCreating.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        string Column(string property) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName(table)!);
        return $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({Column(nameof(SecurityEvent.UserId))}, {Column(nameof(SecurityEvent.Kind))}, " +
            $"{Column(nameof(SecurityEvent.AtUtc))}, {Column(nameof(SecurityEvent.IpAddress))}, {Column(nameof(SecurityEvent.UserAgent))}, " +
            $"{Column(nameof(SecurityEvent.Detail))}) VALUES ({{0}}, {{1}}, {{2}}, {{3}}, {{4}}, {{5}})";
    }
}
