namespace AgentSystem.Contracts;

/// <summary>One job on the queue. Attempt starts at 1; TraceParent carries the W3C trace context across the queue.</summary>
public sealed record JobMessage(Guid JobId, Guid TaskId, string Type, string Input, int Attempt, string? TraceParent);
