using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace IdentityTwoFactor.Data;

/// <summary>
/// One writer at a time in this process, in arrival order, for the SQLite file: a write transaction holds the gate from
/// its <c>BEGIN IMMEDIATE</c> until it ends, and a write statement outside a transaction (an <c>INSERT</c>, an
/// <c>ExecuteUpdate</c>, a raw <c>INSERT ... ON CONFLICT</c>) for as long as it runs. Reads never wait for it.
/// </summary>
/// <remarks>
/// <para>Why: SQLite lets one connection write at a time, and a connection that finds the file locked does not queue:
/// its busy handler sleeps and tries again, 1, 2, 5 ... then 100 ms at a time, and misses the moments the lock is free
/// while others take it. With 16 clients running the unlock story (each request a few small writes of well under a
/// millisecond) single statements waited up to a second and the p99 of the whole story was 4.5 s (site log with EF
/// Core's command timings, 2026-12-03). Queued here, a writer starts the moment the one before it ends.</para>
/// <para>Bounds: the wait is bounded by the command timeout (<c>Database:CommandTimeout</c>); a writer that waits that
/// long goes on without the gate (one warning line) and meets SQLite's own busy timeout as before, so the gate never
/// turns a slow database into a hung one. Writers in other processes (a second instance on the same file, a
/// <c>--migrate-only</c> run, <c>sqlite3</c>) are not in this queue; SQLite's busy timeout still serializes them.</para>
/// <para>Release: when the transaction is committed, rolled back or fails, when a lone statement finishes, fails or is
/// cancelled (a reader: when it is disposed), and in every case when the connection closes or is disposed, by whatever
/// path (the connection's own <c>StateChange</c> event): a transaction disposed without commit or rollback (an exception
/// in a <c>using</c>) fires no transaction event, and a pooled context's connection opened by hand is closed when the
/// context goes back to the pool, without EF Core's connection events. Until then, a connection opened by hand keeps the
/// gate after such a transaction.</para>
/// </remarks>
internal sealed partial class SqliteWriteGate
    : IDbCommandInterceptor, IDbTransactionInterceptor, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeSpan _maxWait;
    private readonly ILogger<SqliteWriteGate> _logger;

    // What each connection holds, by reference. Every lease ends in Leave (at the latest when the connection closes or is
    // disposed), so the table holds only the writes in progress. Not a ConditionalWeakTable: one entry added and removed
    // per write statement left the removed entries' handles for the finalizer (a heap dump during bench B found about a
    // thousand of its containers registered for finalization).
    private readonly ConcurrentDictionary<DbConnection, Lease> _held = new(ReferenceEqualityComparer.Instance);

    private int _waiting;

    // Cached, so subscribing and unsubscribing a connection allocates nothing when it has no other handler.
    private readonly StateChangeEventHandler _onStateChange;

    public SqliteWriteGate(TimeSpan maxWait, ILogger<SqliteWriteGate> logger)
    {
        _maxWait = maxWait;
        _logger = logger;
        _onStateChange = OnStateChange;
    }

    /// <summary>Whether a writer holds the gate now (tests).</summary>
    internal bool IsHeld => _gate.CurrentCount == 0;

    /// <summary>Writers waiting for the gate now (tests).</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    // ---- transactions: from BEGIN to the end ------------------------------------------------------------------

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        Enter(connection, LeaseKind.Transaction);
        return result;
    }

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData,
        InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        await EnterAsync(connection, LeaseKind.Transaction, cancellationToken);
        return result;
    }

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        // A committed SqliteTransaction no longer knows its connection: the lease remembers the transaction it is for.
        if (_held.TryGetValue(connection, out var lease))
        {
            _held[connection] = lease with { Transaction = result };
        }
        return result;
    }

    public ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result,
        CancellationToken cancellationToken = default) => ValueTask.FromResult(TransactionStarted(connection, eventData, result));

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => LeaveTransaction(transaction);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => LeaveTransaction(transaction);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionRolledBack(transaction, eventData);
        return Task.CompletedTask;
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => LeaveTransaction(transaction);

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionFailed(transaction, eventData);
        return Task.CompletedTask;
    }

    // ---- a write statement outside a transaction: while it runs -----------------------------------------------

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        EnterForStatement(command);
        return result;
    }

    public async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        await EnterForStatementAsync(command, cancellationToken);
        return result;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        LeaveStatement(command);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        LeaveStatement(command);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        EnterForStatement(command);
        return result;
    }

    public async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result,
        CancellationToken cancellationToken = default)
    {
        await EnterForStatementAsync(command, cancellationToken);
        return result;
    }

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        LeaveStatement(command);
        return result;
    }

    public ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        LeaveStatement(command);
        return ValueTask.FromResult(result);
    }

    // A reader (INSERT ... RETURNING) keeps its statement, and the write lock, until it is disposed.
    public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        EnterForStatement(command);
        return result;
    }

    public async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await EnterForStatementAsync(command, cancellationToken);
        return result;
    }

    public InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        LeaveStatement(command);
        return result;
    }

    public void CommandFailed(DbCommand command, CommandErrorEventData eventData) => LeaveStatement(command);

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        LeaveStatement(command);
        return Task.CompletedTask;
    }

    public void CommandCanceled(DbCommand command, CommandEndEventData eventData) => LeaveStatement(command);

    public Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        LeaveStatement(command);
        return Task.CompletedTask;
    }

    // ---- whatever happened: the connection's end releases what it held ----------------------------------------

    /// <summary>A connection's close gives its lease back, by whatever path it closes: EF Core closing what it opened,
    /// a dispose, or the context pool closing a returned context's connection (which raises none of EF Core's connection
    /// interceptor events). It matters after a transaction disposed without commit or rollback, which fires no
    /// transaction event. Subscribed only while the connection holds a lease (<see cref="Hold"/>, <see cref="Leave"/>).</summary>
    private void OnStateChange(object sender, StateChangeEventArgs e)
    {
        if (e.CurrentState is ConnectionState.Closed or ConnectionState.Broken)
        {
            Leave(sender as DbConnection);
        }
    }

    // ---- the queue ----------------------------------------------------------------------------------------

    private void EnterForStatement(DbCommand command)
    {
        if (NeedsGate(command))
        {
            Enter(command.Connection!, LeaseKind.Statement);
        }
    }

    private async ValueTask EnterForStatementAsync(DbCommand command, CancellationToken cancellationToken)
    {
        if (NeedsGate(command))
        {
            await EnterAsync(command.Connection!, LeaseKind.Statement, cancellationToken);
        }
    }

    /// <summary>A write statement on a connection that holds nothing yet (inside its own transaction it holds the gate).</summary>
    private bool NeedsGate(DbCommand command) =>
        command.Connection is { } connection && !_held.TryGetValue(connection, out _) && IsWrite(command.CommandText);

    private void Enter(DbConnection connection, LeaseKind kind)
    {
        if (_held.TryGetValue(connection, out _))
        {
            return;
        }
        Interlocked.Increment(ref _waiting);
        bool gated;
        try
        {
            gated = _gate.Wait(_maxWait);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        Hold(connection, kind, gated);
    }

    private async ValueTask EnterAsync(DbConnection connection, LeaseKind kind, CancellationToken cancellationToken)
    {
        if (_held.TryGetValue(connection, out _))
        {
            return;
        }
        Interlocked.Increment(ref _waiting);
        bool gated;
        try
        {
            gated = await _gate.WaitAsync(_maxWait, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        Hold(connection, kind, gated);
    }

    /// <summary>Records what the connection now holds; a writer that waited <c>maxWait</c> in vain goes on without the
    /// gate, and says so once.</summary>
    private void Hold(DbConnection connection, LeaseKind kind, bool gated)
    {
        if (!gated)
        {
            WaitedTooLong(_logger, _maxWait.TotalSeconds);
        }
        _held[connection] = new Lease(kind, gated);
        connection.StateChange += _onStateChange;
    }

    private void LeaveStatement(DbCommand command)
    {
        if (command.Connection is { } connection && _held.TryGetValue(connection, out var lease) && lease.Kind == LeaseKind.Statement)
        {
            Leave(connection);
        }
    }

    /// <summary>Releases the lease of the connection the transaction ran on. The table holds only the writes in progress
    /// (one at a time through the gate, a few more only past its wait), so finding it is a short scan.</summary>
    private void LeaveTransaction(DbTransaction transaction)
    {
        foreach (var (connection, lease) in _held)
        {
            if (ReferenceEquals(lease.Transaction, transaction))
            {
                Leave(connection);
                return;
            }
        }
    }

    /// <summary>Releases the connection's lease, once (the table entry is removed by exactly one caller).</summary>
    private void Leave(DbConnection? connection)
    {
        if (connection is null || !_held.TryRemove(connection, out var lease))
        {
            return;
        }
        connection.StateChange -= _onStateChange;
        if (lease.Gated)
        {
            _gate.Release();
        }
    }

    [LoggerMessage(EventId = 5020, Level = LogLevel.Warning,
        Message = "A SQLite write waited {Seconds} s (Database:CommandTimeout) for the writes queued before it and goes on without the queue")]
    private static partial void WaitedTooLong(ILogger logger, double seconds);

    public void Dispose() => _gate.Dispose();

    /// <summary>Whether a statement writes: its first keyword, after any comment lines EF Core's <c>TagWith</c> adds.</summary>
    internal static bool IsWrite(string? sql)
    {
        var text = sql.AsSpan();
        while (true)
        {
            text = text.TrimStart();
            if (!text.StartsWith("--", StringComparison.Ordinal))
            {
                break;
            }
            var end = text.IndexOf('\n');
            if (end < 0)
            {
                return false;
            }
            text = text[(end + 1)..];
        }
        return StartsWithWord(text, "INSERT") || StartsWithWord(text, "UPDATE") || StartsWithWord(text, "DELETE")
            || StartsWithWord(text, "REPLACE") || StartsWithWord(text, "CREATE") || StartsWithWord(text, "DROP")
            || StartsWithWord(text, "ALTER");
    }

    private static bool StartsWithWord(ReadOnlySpan<char> text, string word) =>
        text.StartsWith(word, StringComparison.OrdinalIgnoreCase) && (text.Length == word.Length || !char.IsLetterOrDigit(text[word.Length]));

    private enum LeaseKind
    {
        Transaction,
        Statement,
    }

    /// <summary>What a connection holds: <paramref name="Gated"/> is false when it waited too long and went on without the
    /// gate (its later statements then do not queue again: its transaction already holds SQLite's own lock);
    /// <paramref name="Transaction"/> is the transaction a <see cref="LeaseKind.Transaction"/> lease is for, once started.</summary>
    private sealed record Lease(LeaseKind Kind, bool Gated, DbTransaction? Transaction = null);
}
