using System.Net.Sockets;
using IdentityTwoFactor.Data.Outage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace IdentityTwoFactor.Tests.Unit.Identity;

/// <summary>What counts as a database outage (503, one log line) and what stays a bug (500, stack trace), and which
/// failures are safe to run again. The process tests (DatabaseOutageTests, SqliteDiskFullTests) see the real ones.</summary>
public sealed class DatabaseOutageClassificationTests
{
    [Theory]
    [InlineData("57P01", OutageKind.Disconnected)]
    [InlineData("57P03", OutageKind.Disconnected)]
    [InlineData("08006", OutageKind.Disconnected)]
    [InlineData("53300", OutageKind.Overloaded)]
    [InlineData("53100", OutageKind.DiskFull)]
    [InlineData("25006", OutageKind.ReadOnly)]
    public void ServerAvailabilityStatesAreOutages(string sqlState, OutageKind kind) =>
        Assert.Equal(kind, DatabaseOutage.Classify(new DbUpdateException("save", Postgres(sqlState))));

    [Theory]
    [InlineData("23505")] // unique violation: "already exists", the form says so
    [InlineData("42P01")] // undefined table: a deployment without its migration is a bug to see, not an outage
    [InlineData("22001")] // value too long
    public void StatementErrorsAreNotOutages(string sqlState) =>
        Assert.Null(DatabaseOutage.Classify(new DbUpdateException("save", Postgres(sqlState))));

    [Theory]
    [InlineData(5, OutageKind.Busy)]
    [InlineData(8, OutageKind.ReadOnly)]
    [InlineData(10, OutageKind.Unreadable)]
    [InlineData(13, OutageKind.DiskFull)]
    [InlineData(14, OutageKind.Unreadable)]
    public void SqliteAvailabilityErrorsAreOutages(int code, OutageKind kind) =>
        Assert.Equal(kind, DatabaseOutage.Classify(new SqliteException("sqlite", code)));

    [Fact]
    public void SqliteConstraintsAndBugsAreNot()
    {
        Assert.Null(DatabaseOutage.Classify(new SqliteException("UNIQUE constraint failed", 19)));
        Assert.Null(DatabaseOutage.Classify(new InvalidOperationException("a bug")));
        Assert.Null(DatabaseOutage.Classify(new FormatException("a bug")));
    }

    [Fact]
    public void ConnectionFailuresAndTimeoutsAreOutages()
    {
        Assert.Equal(OutageKind.Unreachable, DatabaseOutage.Classify(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.Equal(OutageKind.Timeout, DatabaseOutage.Classify(new NpgsqlException("Exception while reading from stream", new TimeoutException())));
        Assert.Equal(OutageKind.Disconnected, DatabaseOutage.Classify(new InvalidOperationException("transient", new NpgsqlException("broken", new EndOfStreamException()))));
    }

    [Fact]
    public void OnlyFailuresBeforeTheStatementRanAreRetried()
    {
        Assert.True(DatabaseOutage.IsSafeToRetry(Postgres("57P01")));
        Assert.True(DatabaseOutage.IsSafeToRetry(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        // It may have committed: never run a counting statement twice.
        Assert.False(DatabaseOutage.IsSafeToRetry(new NpgsqlException("Exception while reading from stream", new TimeoutException())));
        Assert.False(DatabaseOutage.IsSafeToRetry(new NpgsqlException("broken", new EndOfStreamException())));
        Assert.False(DatabaseOutage.IsSafeToRetry(Postgres("23505")));
    }

    private static PostgresException Postgres(string sqlState) => new("message", "ERROR", "ERROR", sqlState);
}
