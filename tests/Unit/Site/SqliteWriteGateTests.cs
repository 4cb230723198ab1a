using IdentityTwoFactor.Data;
using IdentityTwoFactor.Identity;
using IdentityTwoFactor.Tests.Unit.Support;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>The site's queue for SQLite writes (issue 16), on the site's own database setup and a real SQLite file: writers
/// go in arrival order, reads never wait, and every way a write can end gives the gate back (a gate that leaked would stop
/// every write of the site).</summary>
public sealed class SqliteWriteGateTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3); // well under Database:CommandTimeout (5 s)
    private SiteFactory _site = null!;
    private SqliteWriteGate _gate = null!;
    private string _userId = "";

    public async Task InitializeAsync()
    {
        _site = await SiteFactory.StartAsync();
        _gate = _site.Services.GetRequiredService<SqliteWriteGate>();
        await using var scope = _site.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SiteDbContext>();
        var user = new TwoFactorUser { Email = "gate@example.com", NormalizedEmail = "GATE@EXAMPLE.COM", UserName = "gate@example.com", NormalizedUserName = "GATE@EXAMPLE.COM" };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        _userId = user.Id;
    }

    public async Task DisposeAsync() => await _site.DisposeAsync();

    [Theory]
    [InlineData("INSERT INTO \"SecurityEvents\" (\"Kind\") VALUES (@p0)", true)]
    [InlineData("  update \"Users\" SET \"FirstName\" = @p", true)]
    [InlineData("DELETE FROM \"CodeGuesses\" AS \"c\"\nWHERE \"c\".\"CodeId\" = @id", true)]
    [InlineData("-- a TagWith comment\n-- and another\nDELETE FROM \"UserCodes\"", true)]
    [InlineData("CREATE TABLE \"X\" (\"Id\" INTEGER)", true)]
    [InlineData("SELECT COUNT(*) FROM \"Users\"", false)]
    [InlineData("PRAGMA busy_timeout=5000;", false)]
    [InlineData("INSERTED", false)]
    [InlineData("-- only a comment", false)]
    [InlineData("", false)]
    public void AStatementIsAWriteByItsFirstKeyword(string sql, bool write) => Assert.Equal(write, SqliteWriteGate.IsWrite(sql));

    [Fact]
    public async Task WritersQueuedBehindATransactionWriteInTheOrderTheyCame()
    {
        await using var holder = Scope();
        var tx = await holder.Db.Database.BeginTransactionAsync();
        Assert.True(_gate.IsHeld);

        var writers = new List<Task>();
        for (var i = 1; i <= 6; i++)
        {
            writers.Add(InsertEventAsync("order-" + i));
            // The next writer comes only once this one waits in the queue (SQLite's own busy wait keeps no order).
            await WaitUntilAsync(() => _gate.Waiting == writers.Count, $"writer {i} waiting in the queue");
        }
        await tx.CommitAsync();
        await tx.DisposeAsync();
        await Task.WhenAll(writers).WaitAsync(Patience);

        var kinds = await _site.WithDbAsync(db => db.SecurityEvents.Where(e => e.Kind.StartsWith("order-")).OrderBy(e => e.Id).Select(e => e.Kind).ToListAsync());
        Assert.Equal(Enumerable.Range(1, 6).Select(i => "order-" + i), kinds);
        Assert.False(_gate.IsHeld);
    }

    [Fact]
    public async Task ReadsDoNotWaitForTheWriterThatHoldsTheGate()
    {
        await using var holder = Scope();
        await using var tx = await holder.Db.Database.BeginTransactionAsync();
        await holder.Db.Database.ExecuteSqlRawAsync("UPDATE \"Users\" SET \"FirstName\" = 'Held'");
        Assert.True(_gate.IsHeld);

        await using var reader = Scope();
        var users = await reader.Db.Users.AsNoTracking().CountAsync().WaitAsync(Patience);

        Assert.Equal(1, users);
        Assert.True(_gate.IsHeld);
        Assert.Equal(0, _gate.Waiting);
    }

    public static TheoryData<string, bool> Endings()
    {
        var endings = new TheoryData<string, bool>();
        foreach (var ending in new[] { "commit", "rollback", "dispose without either", "a failing statement, then dispose" })
        {
            endings.Add(ending, false);
            endings.Add(ending, true);
        }
        return endings;
    }

    [Theory]
    [MemberData(nameof(Endings))]
    public async Task HoweverAWriteTransactionEndsTheGateIsFreeAfterIt(string ending, bool openedByHand)
    {
        await using (var scope = Scope())
        {
            if (openedByHand)
            {
                // The connection outlives the transaction: a commit or a rollback must give the gate back itself, not the
                // connection's close; a transaction that ends any other way is given back when the scope ends, although
                // the context pool closes the connection without EF Core's interceptor events. Not opened by hand, EF
                // Core opens the connection for the transaction and closes it with the transaction.
                await scope.Db.Database.OpenConnectionAsync();
            }
            var tx = await scope.Db.Database.BeginTransactionAsync();
            await scope.Db.Database.ExecuteSqlRawAsync("UPDATE \"Users\" SET \"FirstName\" = 'Inside'"); // no second turn
            Assert.True(_gate.IsHeld);
            switch (ending)
            {
                case "commit":
                    await tx.CommitAsync();
                    Assert.False(_gate.IsHeld, $"{ending}, opened by hand: {openedByHand}");
                    break;
                case "rollback":
                    await tx.RollbackAsync();
                    Assert.False(_gate.IsHeld, $"{ending}, opened by hand: {openedByHand}");
                    break;
                case "a failing statement, then dispose":
                    await Assert.ThrowsAsync<SqliteException>(() => scope.Db.Database.ExecuteSqlRawAsync("INSERT INTO \"NoSuchTable\" VALUES (1)"));
                    break;
            }
            await tx.DisposeAsync();
        }

        Assert.False(_gate.IsHeld, $"{ending}, opened by hand: {openedByHand}");
        await InsertEventAsync("after-" + ending).WaitAsync(Patience);
    }

    [Fact]
    public async Task AFailingWriteStatementOutsideATransactionGivesTheGateBack()
    {
        await using var scope = Scope();

        await Assert.ThrowsAsync<SqliteException>(() => scope.Db.Database.ExecuteSqlRawAsync("INSERT INTO \"NoSuchTable\" VALUES (1)"));
        // A lone write that breaks a constraint (no such user) fails at execution rather than at preparation.
        scope.Db.SecurityEvents.Add(new SecurityEvent { UserId = "no-such-user", Kind = "orphan", AtUtc = DateTime.UtcNow });
        await Assert.ThrowsAsync<DbUpdateException>(() => scope.Db.SaveChangesAsync());

        Assert.False(_gate.IsHeld);
        await InsertEventAsync("after-failures").WaitAsync(Patience);
    }

    [Fact]
    public async Task AWriterThatWaitsLongerThanTheCommandTimeoutGoesOnWithoutTheQueue()
    {
        await using var site = await SiteFactory.StartAsync(new() { ["Database:CommandTimeout"] = "00:00:01" },
            s => s.AddLogging(l => l.AddFakeLogging()));
        var gate = site.Services.GetRequiredService<SqliteWriteGate>();
        await using var holderScope = site.Services.CreateAsyncScope();
        var holder = holderScope.ServiceProvider.GetRequiredService<SiteDbContext>();
        // A write transaction left open (BEGIN IMMEDIATE: the gate and SQLite's lock) far longer than the command timeout.
        await using var tx = await holder.Database.BeginTransactionAsync();
        Assert.True(gate.IsHeld);

        await using var writerScope = site.Services.CreateAsyncScope();
        var writer = writerScope.ServiceProvider.GetRequiredService<SiteDbContext>();
        var failure = await Record.ExceptionAsync(() => writer.Database.ExecuteSqlRawAsync("UPDATE \"Users\" SET \"FirstName\" = 'x'").WaitAsync(TimeSpan.FromSeconds(10)));

        // It gave up the queue after 1 s and met SQLite's lock (busy for another second): an error, not a hang.
        Assert.IsType<SqliteException>(failure);
        Assert.Contains(site.Services.GetRequiredService<FakeLogCollector>().GetSnapshot(),
            r => r.Message.Contains("goes on without the queue", StringComparison.Ordinal));
        Assert.True(gate.IsHeld); // still the holder's, which alone gives it back
    }

    private AsyncScopeDb Scope() => new(_site.Services.CreateAsyncScope());

    private async Task InsertEventAsync(string kind)
    {
        await using var scope = Scope();
        scope.Db.SecurityEvents.Add(new SecurityEvent { UserId = _userId, Kind = kind, AtUtc = DateTime.UtcNow });
        await scope.Db.SaveChangesAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for " + what);
            await Task.Delay(5);
        }
    }

    private sealed class AsyncScopeDb(AsyncServiceScope scope) : IAsyncDisposable
    {
        public SiteDbContext Db { get; } = scope.ServiceProvider.GetRequiredService<SiteDbContext>();

        public ValueTask DisposeAsync() => scope.DisposeAsync();
    }
}
