using IdentityTwoFactor.Data;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>SQLite's <c>synchronous</c> on the site's own connections (decision 0014): <c>Normal</c> by default, so a commit
/// in WAL mode does not wait for the disk while it holds the one writer turn; <c>Full</c> when the operator asks for it. The
/// busy timeout rides with it. Both are set once per native connection, so these checks also cover a pooled connection
/// handed out again.</summary>
public sealed class SqliteSynchronousTests
{
    [Theory]
    [InlineData(null, 1)]
    [InlineData("Normal", 1)]
    [InlineData("Full", 2)]
    public async Task EveryConnectionOfTheSiteRunsWithTheConfiguredSynchronous(string? setting, long expected)
    {
        await using var site = await SiteFactory.StartAsync(setting is null ? null : new() { ["Database:SqliteSynchronous"] = setting });
        // Three scopes: the later ones get the first one's pooled connection back, opened again.
        for (var i = 0; i < 3; i++)
        {
            await using var scope = site.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SiteDbContext>();
            await db.Database.OpenConnectionAsync();
            Assert.Equal(expected, await ScalarAsync(db, "PRAGMA synchronous;"));
            Assert.Equal(5_000, await ScalarAsync(db, "PRAGMA busy_timeout;")); // Database:CommandTimeout, 5 s by default
        }
    }

    private static async Task<long> ScalarAsync(SiteDbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
