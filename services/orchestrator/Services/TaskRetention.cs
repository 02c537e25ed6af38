using System.Diagnostics.Metrics;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Services;

/// <summary>
/// Deletes the tasks finished longer ago than <c>Retention:FinishedTasks</c>, with their jobs: at start and every
/// <c>Retention:Interval</c>, in batches until none is left. A failed round is logged and the next one tries again.
/// The cutoff is this process's clock, not PostgreSQL's: a skew of seconds does not matter against days.
/// Several orchestrators may run it at once: each skips the tasks another is deleting. What it deletes is counted
/// (<see cref="DeletedInstrument"/>, batch by batch) as well as logged per round.
/// </summary>
public sealed partial class TaskRetention(
    ITaskRepository tasks,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    IMeterFactory meters,
    ILogger<TaskRetention> logger) : BackgroundService
{
    public const string MeterName = "AgentSystem.Orchestrator.Retention";

    public const string DeletedInstrument = "agentsystem.orchestrator.tasks.deleted";

    private readonly Counter<long> _deleted = (meters ?? throw new ArgumentNullException(nameof(meters))).Create(MeterName)
        .CreateCounter<long>(DeletedInstrument, "{task}", "Final tasks deleted by retention, with their jobs");

    /// <summary>One round: returns how many tasks it deleted. Throws when a statement fails.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var cutoff = time.GetUtcNow() - settings.FinishedTasks;
        var total = 0;
        while (true)
        {
            var deleted = await tasks.DeleteFinishedBeforeAsync(cutoff, settings.BatchSize, cancellationToken);
            total += deleted;
            if (deleted > 0)
            {
                _deleted.Add(deleted);
            }

            if (deleted < settings.BatchSize)
            {
                break;
            }

            await Task.Delay(settings.BatchPause, time, cancellationToken);
        }

        if (total > 0)
        {
            LogDeleted(logger, total, cutoff);
        }

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.FinishedTasks == TimeSpan.Zero)
        {
            LogKeepingAll(logger);
            return;
        }

        await Rounds.RunAsync(settings.Interval, time, RunOnceAsync, error => LogRoundFailed(logger, settings.Interval, error), stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: deleted {Count} tasks finished before {Cutoff:u}, with their jobs")]
    private static partial void LogDeleted(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: keeping every task (Retention:FinishedTasks is 0)")]
    private static partial void LogKeepingAll(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention round failed; the next one, in {Interval}, tries again")]
    private static partial void LogRoundFailed(ILogger logger, TimeSpan interval, Exception error);
}
