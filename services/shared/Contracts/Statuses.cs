using System.Text.Json.Serialization;

namespace AgentSystem.Contracts;

/// <summary>A task's state, lower case in JSON (docs/api.md). Not "TaskStatus": System.Threading.Tasks has one.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TaskState>))]
public enum TaskState
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

/// <summary>A job's state; <see cref="Dead"/> means dead-lettered after its last attempt.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("dead")] Dead,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

public static class States
{
    public static bool IsFinal(this TaskState state) => state is TaskState.Succeeded or TaskState.Failed or TaskState.Cancelled;

    public static bool IsFinal(this JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Dead or JobState.Cancelled;

    /// <summary>The stored (lower-case) name, as in JSON and in the database.</summary>
    public static string Name(this TaskState state) => state.ToString().ToLowerInvariant();

    public static string Name(this JobState state) => state.ToString().ToLowerInvariant();
}
