using System.Text.Json.Serialization;

namespace AgentSystem.Contracts;

[JsonConverter(typeof(JsonStringEnumConverter<TaskStatus>))]
public enum TaskStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,
}

[JsonConverter(typeof(JsonStringEnumConverter<JobStatus>))]
public enum JobStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,
    DeadLettered,
}
