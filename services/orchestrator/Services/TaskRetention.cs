using System.Diagnostics.Metrics;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Services;

/// <summary>
/// Deletes the tasks finished longer ago than <c>Retention:FinishedTasks</c>, with their jobs (docs/api.md,
/// "Retention"); an open task never, however old.
/// </summary>
public sealed class TaskRetention(
    ITaskRepository tasks, IOptions<RetentionOptions> options, TimeProvider time, IMeterFactory meters, ILogger<TaskRetention> logger)
    : Retention<RetentionOptions>(
        options, time, meters, logger, new(MeterName, DeletedInstrument, "Final tasks deleted by retention, with their jobs", "tasks finished"))
{
    public const string MeterName = "AgentSystem.Orchestrator.Retention";

    public const string DeletedInstrument = "agentsystem.orchestrator.tasks.deleted";

    protected override Task<int> DeleteBatchAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken) =>
        tasks.DeleteFinishedBeforeAsync(cutoff, limit, cancellationToken);
}
