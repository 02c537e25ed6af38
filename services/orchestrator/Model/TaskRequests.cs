namespace AgentSystem.Orchestrator.Model;

/// <summary>One explicit job of <c>POST /tasks</c>. Both are strings in JSON; another JSON type is a 400.</summary>
public sealed record JobRequest(string? Type, string? Input);

/// <summary>The body of <c>POST /tasks</c>: either <see cref="Jobs"/> or a <see cref="Goal"/> for the planner, not both.</summary>
public sealed record CreateTaskRequest(IReadOnlyList<JobRequest?>? Jobs, string? Goal);
