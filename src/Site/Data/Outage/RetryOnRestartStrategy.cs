using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace IdentityTwoFactor.Data.Outage;

/// <summary>
/// EF Core's execution strategy for PostgreSQL, retrying once and only when the statement cannot have run
/// (<see cref="DatabaseOutage.IsSafeToRetry"/>): after a database restart every pooled connection is dead, and without
/// this the first request on each one fails. The atomic counting statements stay exact: a statement that may have
/// committed (a timeout, a connection broken mid-answer) is never run twice.
/// </summary>
public sealed class RetryOnRestartStrategy(ExecutionStrategyDependencies dependencies)
    : ExecutionStrategy(dependencies, maxRetryCount: 1, maxRetryDelay: TimeSpan.FromMilliseconds(50))
{
    protected override bool ShouldRetryOn(Exception exception) => DatabaseOutage.IsSafeToRetry(exception);

    /// <summary>The other idle connections in the pool went with the same restart: open fresh ones.</summary>
    protected override void OnRetry() => NpgsqlConnection.ClearAllPools();
}
