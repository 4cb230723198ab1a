using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IdentityTwoFactor.Data.Outage;

/// <summary>
/// Knows whether the database is in an outage, from what EF Core's commands do (<see cref="Interceptor"/>): one warning
/// when the first command fails with an outage, one when a command succeeds again, and the count of requests answered 503
/// in between. Singleton; the common path (a command succeeds, no outage) is one volatile read.
/// </summary>
public sealed partial class DatabaseOutageMonitor(ILogger<DatabaseOutageMonitor> logger)
{
    private readonly Lock _gate = new();
    private volatile bool _inOutage;
    private DateTimeOffset _since;
    private long _lastFailureTicks;
    private int _refused;

    /// <summary>A command or a request failed with <paramref name="kind"/>.</summary>
    public void Failed(OutageKind kind)
    {
        Interlocked.Exchange(ref _lastFailureTicks, DateTimeOffset.UtcNow.UtcTicks);
        if (_inOutage)
        {
            return;
        }
        lock (_gate)
        {
            if (_inOutage)
            {
                return;
            }
            _since = DateTimeOffset.UtcNow;
            _refused = 0;
            _inOutage = true;
        }
        LogBegan(logger, DatabaseOutage.Describe(kind));
    }

    /// <summary>A request was answered 503 because of the outage.</summary>
    public void Refused() => Interlocked.Increment(ref _refused);

    /// <summary>A command that started at <paramref name="started"/> succeeded. Only a command started after the last
    /// failure ends an outage: one that was already running when the server began to fail (a server shutting down answers
    /// some statements and fails others for a moment) would otherwise log one outage per flap. Real time, as EF Core's.</summary>
    public void Succeeded(DateTimeOffset started)
    {
        if (!_inOutage || started.UtcTicks <= Interlocked.Read(ref _lastFailureTicks))
        {
            return;
        }
        TimeSpan lasted;
        int refused;
        lock (_gate)
        {
            if (!_inOutage)
            {
                return;
            }
            _inOutage = false;
            lasted = DateTimeOffset.UtcNow - _since;
            refused = Volatile.Read(ref _refused);
        }
        LogEnded(logger, Math.Round(lasted.TotalSeconds, 1), refused);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "The database is unavailable ({Kind}): pages and forms answer 503 until it is back")]
    private static partial void LogBegan(ILogger logger, string kind);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "The database answers again after {Seconds} s; {Refused} request(s) were answered 503 meanwhile")]
    private static partial void LogEnded(ILogger logger, double seconds, int refused);

    /// <summary>Feeds the monitor from EF Core: a successful command ends an outage, a failed command that is an outage
    /// begins one. Failed connections are left to the requests they fail (<see cref="DatabaseOutageHandler"/>): EF Core
    /// also opens connections expecting them to fail (SQLite's "does the file exist yet" at the first start).</summary>
    public sealed class Interceptor(DatabaseOutageMonitor monitor) : DbCommandInterceptor
    {
        public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
        {
            monitor.Succeeded(eventData.StartTime);
            return result;
        }

        public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            monitor.Succeeded(eventData.StartTime);
            return ValueTask.FromResult(result);
        }

        public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
        {
            monitor.Succeeded(eventData.StartTime);
            return result;
        }

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            monitor.Succeeded(eventData.StartTime);
            return ValueTask.FromResult(result);
        }

        public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
        {
            monitor.Succeeded(eventData.StartTime);
            return result;
        }

        public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
        {
            monitor.Succeeded(eventData.StartTime);
            return ValueTask.FromResult(result);
        }

        public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Failed(eventData.Exception);

        public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            Failed(eventData.Exception);
            return Task.CompletedTask;
        }

        private void Failed(Exception exception)
        {
            if (DatabaseOutage.Classify(exception) is { } kind)
            {
                monitor.Failed(kind);
            }
        }
    }
}
