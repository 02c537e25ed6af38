namespace AgentSystem.Orchestrator.Services;

/// <summary>Section "Retention": how long finished tasks are kept (docs/api.md, "Retention").</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    /// <summary>
    /// A final task (succeeded, failed, cancelled) created and last changed longer ago than this is deleted with its jobs;
    /// zero keeps every task. Without it a client could fill PostgreSQL within its rate limit, and nothing ever shrank.
    /// </summary>
    public TimeSpan FinishedTasks { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Time between two rounds of deletions (one also runs at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Tasks deleted per statement, each its own transaction. A task may hold 100 jobs and 1 MiB of inputs (and as much
    /// of results), so 100 tasks can be 10,000 rows and 200 MiB: one statement stays well within its command timeout.
    /// </summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Between two full batches, so that a backlog (the first round after an upgrade) leaves PostgreSQL room for the rest.</summary>
    public TimeSpan BatchPause { get; set; } = TimeSpan.FromMilliseconds(50);
}
