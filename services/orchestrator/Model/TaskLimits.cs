namespace AgentSystem.Orchestrator.Model;

/// <summary>The limits docs/api.md promises; the frontend checks the same numbers before it sends.</summary>
public static class TaskLimits
{
    public const int MaxJobs = 100;

    /// <summary>Bytes of UTF-8, per job input.</summary>
    public const int MaxInputBytes = 64 * 1024;

    /// <summary>Bytes of UTF-8 of a goal.</summary>
    public const int MaxGoalBytes = 64 * 1024;

    public const int MaxIdempotencyKeyLength = 200;

    public const string IdempotencyKeyHeader = "Idempotency-Key";
}
