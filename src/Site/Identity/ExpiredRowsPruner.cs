using Microsoft.Extensions.Logging;

namespace IdentityTwoFactor.Identity;

/// <summary>Once an hour: deletes security events older than <c>TwoFactor:SecurityEventRetention</c>, expired sessions,
/// code tries older than a day, and SMS budget rows whose window and cooldown are over (every email ever typed into a
/// form writes one).</summary>
public sealed partial class ExpiredRowsPruner(IServiceScopeFactory scopes, TimeProvider time, ILogger<ExpiredRowsPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first prune waits a minute: at start the process has better things to do (it cost ~0.2 s of startup).
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        try
        {
            await Task.Delay(TimeSpan.FromMinutes(1), time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var pruned = await scope.ServiceProvider.GetRequiredService<ISecurityEventLog>().PruneAsync(stoppingToken);
                var sessions = scope.ServiceProvider.GetService<Sessions.IUserSessionStore>() is { } store ? await store.PruneAsync(stoppingToken) : 0;
                // Code tries count toward a 24-hour bound; older ones only take space.
                var tries = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.IUserStore<TwoFactorUser>>() is IUserCodeStore<TwoFactorUser> codes
                    ? await codes.PruneGuessesAsync(time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(1), stoppingToken)
                    : 0;
                var budgets = await scope.ServiceProvider.GetRequiredService<ISmsBudget>().PruneAsync(stoppingToken);
                if (pruned + sessions + tries + budgets > 0)
                {
                    LogPruned(logger, pruned, sessions, tries, budgets);
                }
            }
            catch (Exception e) when (Data.Outage.DatabaseOutage.Classify(e) is { } kind)
            {
                LogPruneSkipped(logger, Data.Outage.DatabaseOutage.Describe(kind));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPruneFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "Pruned {Count} old security events, {Sessions} expired sessions, {Tries} old code tries and {Budgets} spent SMS budget rows")]
    private static partial void LogPruned(ILogger logger, int count, int sessions, int tries, int budgets);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "Pruning expired rows skipped: the database is unavailable ({Kind}); will retry in an hour")]
    private static partial void LogPruneSkipped(ILogger logger, string kind);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Warning, Message = "Pruning expired rows failed; will retry in an hour")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
