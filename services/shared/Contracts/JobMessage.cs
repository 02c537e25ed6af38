using System.Text.Json.Serialization;

namespace AgentSystem.Contracts;

/// <summary>
/// One job on the queue. Attempt starts at 1 and grows with each redelivery; TraceParent carries the W3C trace context
/// across the queue; EnqueuedAt lets the worker measure pickup latency; Client (<see cref="ClientId"/>) is whose
/// turn it waits for, absent for jobs of no client (a caller without the gateway, the load harness's).
/// </summary>
public sealed record JobMessage(
    Guid JobId,
    Guid TaskId,
    string Type,
    string Input,
    int Attempt,
    string? TraceParent,
    DateTimeOffset? EnqueuedAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Client = null);
