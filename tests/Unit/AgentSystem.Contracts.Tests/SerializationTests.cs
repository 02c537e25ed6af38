using System.Text.Json;
using AgentSystem.Contracts;

namespace AgentSystem.Contracts.Tests;

public sealed class SerializationTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void JobMessage_round_trips_through_json()
    {
        var message = new JobMessage(Guid.NewGuid(), Guid.NewGuid(), JobTypes.Hash, "abc", 2, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        var json = JsonSerializer.Serialize(message, Web);

        Assert.Equal(message, JsonSerializer.Deserialize<JobMessage>(json, Web));
        Assert.Contains("\"type\":\"hash\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Statuses_are_written_as_names_not_numbers()
    {
        Assert.Equal("\"dead\"", JsonSerializer.Serialize(JobState.Dead, Web));
        Assert.Equal(TaskState.Succeeded, JsonSerializer.Deserialize<TaskState>("\"succeeded\"", Web));
    }
}
