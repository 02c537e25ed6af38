namespace AgentSystem.Orchestrator.Model;

/// <summary>The orchestrator's own limits; those other services share are in AgentSystem.Contracts.Limits.</summary>
public static class TaskLimits
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public const int MaxIdempotencyKeyLength = 200;
}
