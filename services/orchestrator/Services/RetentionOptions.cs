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

    /// <summary>Tasks deleted per statement: each batch is a short transaction of its own, so a backlog locks little at a time.</summary>
    public int BatchSize { get; set; } = 1000;
}
