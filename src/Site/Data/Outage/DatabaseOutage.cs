using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IdentityTwoFactor.Data.Outage;

/// <summary>What kind of database outage an exception shows (one word each, for the log line and the tests).</summary>
public enum OutageKind
{
    /// <summary>Nothing listens where the database should be (connection refused, host unknown or unreachable).</summary>
    Unreachable,
    /// <summary>The database did not answer in time: opening a connection, a command, or waiting for a pooled connection.</summary>
    Timeout,
    /// <summary>The connection broke, or the server is shutting down or starting up.</summary>
    Disconnected,
    /// <summary>The server refuses more connections.</summary>
    Overloaded,
    /// <summary>SQLite stayed locked by another writer past the command timeout.</summary>
    Busy,
    /// <summary>The database (file or server) accepts no writes.</summary>
    ReadOnly,
    /// <summary>No space left for the database.</summary>
    DiskFull,
    /// <summary>The database file cannot be opened or read (I/O error).</summary>
    Unreadable,
}

/// <summary>
/// Tells a database outage (the provider's connection, timeout and transient errors: Npgsql, and SQLite's busy, locked,
/// read-only, full and I/O errors) from a real bug. An outage is answered 503 and logged in one line; anything else stays
/// a 500 with its stack trace in the log.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>The outage this exception (or one inside it) shows, or null when it is not an outage.</summary>
    public static OutageKind? Classify(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    // The server answered: only these states are about the server's availability, not about the statement.
                    return postgres.SqlState switch
                    {
                        "57P01" or "57P02" or "57P03" => OutageKind.Disconnected, // admin/crash shutdown, starting up
                        "53300" or "53400" => OutageKind.Overloaded,               // too many connections, configuration limit
                        "53100" => OutageKind.DiskFull,
                        "25006" => OutageKind.ReadOnly,                              // read-only transaction (a standby)
                        "57014" => OutageKind.Timeout,                               // statement timeout / cancelled
                        _ when postgres.SqlState.StartsWith("08", StringComparison.Ordinal) => OutageKind.Disconnected,
                        _ => null,
                    };
                case SqliteException sqlite:
                    return sqlite.SqliteErrorCode switch
                    {
                        5 or 6 => OutageKind.Busy,        // SQLITE_BUSY, SQLITE_LOCKED
                        8 => OutageKind.ReadOnly,         // SQLITE_READONLY
                        10 or 11 or 26 => OutageKind.Unreadable, // SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_NOTADB
                        13 => OutageKind.DiskFull,        // SQLITE_FULL
                        14 => OutageKind.Unreadable,      // SQLITE_CANTOPEN
                        _ => null,
                    };
                case NpgsqlException npgsql when FromNpgsql(npgsql) is { } kind:
                    return kind;
                case TimeoutException:
                    return OutageKind.Timeout;
                case SocketException socket:
                    return socket.SocketErrorCode == SocketError.TimedOut ? OutageKind.Timeout : OutageKind.Unreachable;
                case AggregateException aggregate when aggregate.InnerExceptions.Count == 1:
                    continue; // its InnerException is that one
            }
        }
        return null;
    }

    /// <summary>True when the statement cannot have run, so running it again on another connection is safe even for the
    /// atomic counting statements: the server had ended this connection before it (a restart), or the connection was never
    /// opened (refused). Not after a timeout or a break mid-answer, when the statement may have committed.</summary>
    public static bool IsSafeToRetry(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    return postgres.SqlState is "57P01" or "57P02" or "57P03";
                case SocketException socket:
                    return socket.SocketErrorCode is SocketError.ConnectionRefused;
            }
        }
        return false;
    }

    private static OutageKind? FromNpgsql(NpgsqlException npgsql)
    {
        if (npgsql.InnerException is TimeoutException || npgsql.Message.Contains("pool has been exhausted", StringComparison.Ordinal))
        {
            return OutageKind.Timeout;
        }
        if (npgsql.InnerException is SocketException socket)
        {
            return socket.SocketErrorCode == SocketError.TimedOut ? OutageKind.Timeout : OutageKind.Unreachable;
        }
        if (npgsql.InnerException is IOException or EndOfStreamException || npgsql.IsTransient)
        {
            return OutageKind.Disconnected;
        }
        return null;
    }

    /// <summary>The word for logs and tests: "unreachable", "timeout", ...</summary>
    public static string Describe(OutageKind kind) => kind switch
    {
        OutageKind.Unreachable => "unreachable",
        OutageKind.Timeout => "timeout",
        OutageKind.Disconnected => "disconnected",
        OutageKind.Overloaded => "overloaded",
        OutageKind.Busy => "busy",
        OutageKind.ReadOnly => "read-only",
        OutageKind.DiskFull => "disk-full",
        _ => "unreadable",
    };
}
