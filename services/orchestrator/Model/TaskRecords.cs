using AgentSystem.Contracts;

namespace AgentSystem.Orchestrator.Model;

public sealed record JobRequest(string? Type, string? Input);

public sealed record CreateTaskRequest(IReadOnlyList<JobRequest>? Jobs);

public sealed record NewJob(string Type, string Input);

public sealed record JobRecord(Guid Id, string Type, string Input, JobState Status, string? Output);

public sealed record TaskRecord(Guid Id, TaskState Status, DateTimeOffset CreatedAt, IReadOnlyList<JobRecord> Jobs);
