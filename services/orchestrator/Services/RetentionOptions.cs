using AgentSystem.ServiceDefaults;

namespace AgentSystem.Orchestrator.Services;

/// <summary>Section "Retention": how long finished tasks are kept (docs/api.md, "Retention").</summary>
public sealed class RetentionOptions : RetentionSettings
{
    /// <summary>
    /// A final task (succeeded, failed, cancelled) created and last changed longer ago than this is deleted with its jobs;
    /// zero keeps every task. Without it a client could fill PostgreSQL within its rate limit, and nothing ever shrank.
    /// A task may hold 100 jobs and 1 MiB of inputs (and as much of results), so a batch of 100 tasks can be 10,000
    /// rows and 200 MiB: one statement stays well within its command timeout.
    /// </summary>
    public TimeSpan FinishedTasks { get; set; } = TimeSpan.FromDays(30);

    public override TimeSpan KeepFor => FinishedTasks;

    public override string PeriodSetting => nameof(FinishedTasks);

    public override string Item => "task";
}
