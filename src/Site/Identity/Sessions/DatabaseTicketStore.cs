using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Identity.Sessions;

/// <summary>
/// Identity's application cookie backed by sessions in the database (<see cref="CookieAuthenticationOptions.SessionStore"/>):
/// the cookie holds a random 256-bit session key, the database its SHA-256 and the ticket. Signing out deletes the row, so
/// a copy of the cookie stops working at once, on every instance. Each call runs in a scope of its own, so it never saves
/// changes that a page's DbContext is tracking.
/// </summary>
public sealed class DatabaseTicketStore<TContext>(
    IServiceScopeFactory scopes, TimeProvider time, IOptions<IdentityOptions> identity, IHttpContextAccessor http)
    : ITicketStore, IUserSessionStore
    where TContext : DbContext
{
    private const string RetrievedStampItem = "IdentityTwoFactor.SessionStamp";

    private static readonly ConditionalWeakTable<IModel, SessionInsert> InsertStatements = new();

    /// <summary>"Last seen" (and the sliding expiry) are written at most this often per session, not on every request.</summary>
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    public Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken) => StoreAsync(ticket, null!, cancellationToken);

    public async Task<string> StoreAsync(AuthenticationTicket ticket, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var key = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow().UtcDateTime;
        var session = new UserSession
        {
            Id = SessionIds.Of(key),
            UserId = ticket.Principal.FindFirstValue(identity.Value.ClaimsIdentity.UserIdClaimType)
                ?? throw new InvalidOperationException("A sign-in ticket without a user id cannot be stored."),
            Ticket = TicketSerializer.Default.Serialize(ticket),
            CreatedUtc = now,
            LastSeenUtc = now,
            ExpiresUtc = ticket.Properties.ExpiresUtc?.UtcDateTime,
            IpAddress = httpContext?.Connection.RemoteIpAddress?.ToString(),
            UserAgent = Clean(httpContext?.Request.Headers.UserAgent.ToString()),
        };
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var insert = InsertStatements.TryGetValue(db.Model, out var made) ? made
            : InsertStatements.GetValue(db.Model, model => SessionInsert.For(model, db.GetService<ISqlGenerationHelper>()));
        await db.Database.ExecuteSqlRawAsync(insert.Sql, insert.ValuesOf(session), cancellationToken);
        httpContext?.Items[SessionIds.CurrentItem] = session.Id;
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    public Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken) => RenewAsync(key, ticket, null!, cancellationToken);

    /// <summary>Identity renews the cookie on every request (the security stamp is checked each time), and a sign-in in a
    /// signed-in request (Identity's RefreshSignInAsync) renews the same session. A ticket with the same security stamp as
    /// the one this request retrieved is written only when a minute has passed ("last seen" and the sliding expiry stay
    /// close enough at one write a minute); a new stamp is written at once. Only an existing row is updated: a session ended
    /// while one of its requests was in flight stays ended.</summary>
    public async Task RenewAsync(string key, AuthenticationTicket ticket, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var id = SessionIds.Of(key);
        var now = time.GetUtcNow().UtcDateTime;
        var sameStamp = httpContext?.Items[RetrievedStampItem] is string retrieved && retrieved == StampOf(ticket);
        var seenBefore = sameStamp ? now - TouchInterval : DateTime.MaxValue;
        var blob = TicketSerializer.Default.Serialize(ticket);
        var expires = ticket.Properties.ExpiresUtc?.UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TContext>().Set<UserSession>()
            .Where(s => s.Id == id && s.LastSeenUtc <= seenBefore)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Ticket, blob)
                .SetProperty(x => x.ExpiresUtc, expires)
                .SetProperty(x => x.LastSeenUtc, now), cancellationToken);
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken) => RetrieveAsync(key, null!, cancellationToken);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var id = SessionIds.Of(key);
        await using var scope = scopes.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<TContext>().Set<UserSession>().AsNoTracking()
            .Where(s => s.Id == id)
            .Select(s => new { s.Ticket, s.ExpiresUtc })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null || row.ExpiresUtc <= time.GetUtcNow().UtcDateTime)
        {
            return null;
        }
        var ticket = TicketSerializer.Default.Deserialize(row.Ticket);
        httpContext?.Items[SessionIds.CurrentItem] = id;
        httpContext?.Items[RetrievedStampItem] = ticket is null ? null : StampOf(ticket);
        return ticket;
    }

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public Task RemoveAsync(string key, CancellationToken cancellationToken) => RemoveAsync(key, null!, cancellationToken);

    public async Task RemoveAsync(string key, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var id = SessionIds.Of(key);
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TContext>().Set<UserSession>().Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<UserSession>> ListAsync(string userId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TContext>().Set<UserSession>().AsNoTracking()
            .Where(s => s.UserId == userId && (s.ExpiresUtc == null || s.ExpiresUtc > now))
            .OrderByDescending(s => s.LastSeenUtc).ThenBy(s => s.Id)
            .Select(s => new UserSession
            {
                Id = s.Id,
                UserId = s.UserId,
                CreatedUtc = s.CreatedUtc,
                LastSeenUtc = s.LastSeenUtc,
                ExpiresUtc = s.ExpiresUtc,
                IpAddress = s.IpAddress,
                UserAgent = s.UserAgent,
            })
            .ToListAsync(cancellationToken);
    }

    public async Task<bool> EndAsync(string userId, string sessionId, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TContext>().Set<UserSession>()
            .Where(s => s.Id == sessionId && s.UserId == userId)
            .ExecuteDeleteAsync(cancellationToken) == 1;
    }

    public Task<int> EndOthersAsync(string userId, CancellationToken cancellationToken = default) =>
        DeleteSessionsAsync(userId, keep: http.HttpContext is { } context ? SessionIds.Current(context) : null, cancellationToken);

    public Task<int> EndAllAsync(string userId, CancellationToken cancellationToken = default) =>
        DeleteSessionsAsync(userId, keep: null, cancellationToken);

    /// <summary>Deletes the user's sessions but <paramref name="keep"/> (none when null), in one statement.</summary>
    private async Task<int> DeleteSessionsAsync(string userId, string? keep, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TContext>().Set<UserSession>()
            .Where(s => s.UserId == userId && s.Id != keep)
            .ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TContext>().Set<UserSession>()
            .Where(s => s.ExpiresUtc != null && s.ExpiresUtc <= now)
            .ExecuteDeleteAsync(cancellationToken);
    }

    private string? StampOf(AuthenticationTicket ticket) =>
        ticket.Principal.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);

    private static string? Clean(string? userAgent) =>
        string.IsNullOrEmpty(userAgent) ? null : new string(userAgent.Where(c => !char.IsControl(c)).Take(200).ToArray());

    /// <summary>Every sign-in writes its session with one INSERT made once per model, not through <c>SaveChanges</c>: no
    /// change tracking or update pipeline for a row nobody reads back in this request (part of the sign-in's CPU beyond the
    /// stock Identity app's, bench B, 2026-12-04). The statement names every property the model maps, table and columns in
    /// the provider's quoting, so a column added to <see cref="UserSession"/> is written without touching this code.</summary>
    private sealed class SessionInsert(string sql, IClrPropertyGetter[] getters)
    {
        public string Sql { get; } = sql;

        public object[] ValuesOf(UserSession session)
        {
            var values = new object[getters.Length];
            for (var i = 0; i < getters.Length; i++)
            {
                values[i] = getters[i].GetClrValue(session)!;
            }
            return values;
        }

        public static SessionInsert For(IModel model, ISqlGenerationHelper sql)
        {
            var entity = model.FindEntityType(typeof(UserSession))
                ?? throw new InvalidOperationException($"The context {typeof(TContext).Name} has no sessions table: call modelBuilder.ApplyServerSessionModel() in its OnModelCreating.");
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var properties = entity.GetProperties().ToArray();
            var columns = string.Join(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)));
            var values = string.Join(", ", properties.Select((_, i) => $"{{{i}}}"));
            return new($"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({columns}) VALUES ({values})",
                [.. properties.Select(p => p.GetGetter())]);
        }
    }
}
