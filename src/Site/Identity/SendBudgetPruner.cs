using Microsoft.Extensions.Logging;

namespace IdentityTwoFactor.Identity;

/// <summary>Deletes SMS budget rows whose window and cooldown are over, once an hour: every email ever typed into a
/// form writes a row, and a row that counts for nothing should not stay.</summary>
public sealed partial class SendBudgetPruner(IServiceScopeFactory scopes, TimeProvider time, ILogger<SendBudgetPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // As SecurityEventPruner: the first prune waits a minute, out of the way of start-up.
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
                var pruned = await scope.ServiceProvider.GetRequiredService<ISmsBudget>().PruneAsync(stoppingToken);
                if (pruned > 0)
                {
                    LogPruned(logger, pruned);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPruneFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 2022, Level = LogLevel.Information, Message = "Pruned {Count} spent SMS budget rows")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Warning, Message = "Pruning SMS budget rows failed; will retry in an hour")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
