using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Apis;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Tests;

public sealed class SerializedChangesTests
{
    private static readonly JsonTypeInfo<TaskChangeResponse> Json =
        (JsonTypeInfo<TaskChangeResponse>)new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() }
            .GetTypeInfo(typeof(TaskChangeResponse));

    [Fact]
    public void Each_earlier_version_gets_its_own_change_and_streams_sent_the_same_one_share_it()
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var v1 = Task(TaskState.Queued, Job(a, 0, JobState.Queued), Job(b, 1, JobState.Queued));
        var v2 = Task(TaskState.Running, Job(a, 0, JobState.Succeeded), Job(b, 1, JobState.Queued));
        var v3 = Task(TaskState.Running, Job(a, 0, JobState.Succeeded), Job(b, 1, JobState.Running));
        var changes = new SerializedChanges();

        var fromFirst = changes.From(v1, v3, Json);
        var fromSecond = changes.From(v2, v3, Json);
        var fromFirstAgain = changes.From(v1, v3, Json);

        Assert.Equal([a, b], JobIds(fromFirst.Data));   // a stream that skipped v2 gets both jobs
        Assert.Equal([b], JobIds(fromSecond.Data));
        Assert.Same(fromFirst.Data, fromFirstAgain.Data);
        Assert.Equal((true, (byte[]?)null), changes.From(v3, v3, Json));
    }

    private static TaskRecord Task(TaskState status, params JobRecord[] jobs) =>
        new(Guid.Empty, status, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds((int)status), jobs);

    private static JobRecord Job(Guid id, int seq, JobState status) => new(id, seq, "echo", "x", status, 0, null, null, null, null);

    private static List<Guid> JobIds(byte[]? change) =>
        [.. JsonDocument.Parse(change!).RootElement.GetProperty("jobs").EnumerateArray().Select(job => job.GetProperty("id").GetGuid())];
}
