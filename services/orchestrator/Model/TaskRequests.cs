using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSystem.Orchestrator.Model;

/// <summary>One explicit job of <c>POST /tasks</c>. Both are strings in JSON; another JSON type is a 400.</summary>
public sealed record JobRequest(string? Type, string? Input);

/// <summary>The body of <c>POST /tasks</c>: either <see cref="Jobs"/> or a <see cref="Goal"/> for the planner, not both.</summary>
public sealed record CreateTaskRequest(IReadOnlyList<JobRequest?>? Jobs, string? Goal)
{
    /// <summary>Properties the contract does not have, kept only to name them when neither field is given ("job").</summary>
    /// <remarks>Settable: System.Text.Json refuses init-only extension data on a type it builds through a constructor.</remarks>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Others { get; set; }
}
