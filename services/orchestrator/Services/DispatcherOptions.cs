namespace AgentSystem.Orchestrator.Services;

/// <summary>Section "Dispatcher" (docs/queue.md, "The dispatcher").</summary>
public sealed class DispatcherOptions
{
    public const string SectionName = "Dispatcher";

    /// <summary>Run the rounds in the background. Off, <see cref="JobDispatcher.RunOnceAsync"/> still works.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between two rounds (one also runs at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A queued job enqueued longer ago than this is checked again: Redis may have lost it. So is a job marked running
    /// longer ago than this in a task unchanged as long: Redis may have lost its lease with its worker.
    /// </summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Jobs read, checked and sent per batch: one Redis round trip and one UPDATE each. Also the running tasks a round
    /// looks at for lost running jobs, in one batch, oldest first.
    /// </summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Batches per round at most, so one round ends even when the store keeps finding work.</summary>
    public int MaxBatchesPerRound { get; set; } = 20;

    /// <summary>How long a Redis call may take before the round gives up until the next one.</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
