using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
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
    private static readonly ConditionalWeakTable<IModel, Insert> InsertStatements = new();

    private DbSet<SecurityEvent> Events => db.Set<SecurityEvent>();

    /// <summary>Writes the row with one INSERT of its own, not <c>SaveChanges</c>: the context may track the app's changes
    /// (a user being edited) that are not the log's to save. The statement names the table and columns the model maps, in
    /// the provider's quoting, so renamed tables and schemas work on any relational provider, and sends each value as the
    /// column stores it: through the app's value converters (a convention that stores dates as numbers), as SaveChanges
    /// would.</summary>
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
        var insert = InsertStatements.GetValue(db.Model, _ => InsertStatement());
        await db.Database.ExecuteSqlRawAsync(insert.Sql, insert.Values([userId, kind, at, ip, agent, detail]), cancellationToken);
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

    private Insert InsertStatement()
    {
        var entity = db.Model.FindEntityType(typeof(SecurityEvent))
            ?? throw new InvalidOperationException($"The context {db.GetType().Name} has no security events table: call modelBuilder.AddSmsTwoFactor() in its OnModelCreating.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        // In the order of the values RecordAsync passes.
        IProperty[] properties = [.. new[] { nameof(SecurityEvent.UserId), nameof(SecurityEvent.Kind), nameof(SecurityEvent.AtUtc),
            nameof(SecurityEvent.IpAddress), nameof(SecurityEvent.UserAgent), nameof(SecurityEvent.Detail) }.Select(p => entity.FindProperty(p)!)];
        var columns = string.Join(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)));
        var values = string.Join(", ", properties.Select((_, i) => $"{{{i}}}"));
        return new($"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({columns}) VALUES ({values})",
            [.. properties.Select(p => p.GetTypeMapping().Converter)]);
    }

    /// <summary>The statement, and the converter (if any) the model gives each of its columns.</summary>
    private sealed class Insert(string sql, ValueConverter?[] converters)
    {
        public string Sql { get; } = sql;

        /// <summary>The values as their columns store them (a null stays null).</summary>
        public object[] Values(object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i] is { } value && converters[i] is { } converter)
                {
                    values[i] = converter.ConvertToProvider(value);
                }
            }
            return values!;
        }
    }
}
