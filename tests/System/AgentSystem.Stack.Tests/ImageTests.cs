using System.Text.Json;

namespace AgentSystem.StackTests;

/// <summary>
/// Every service runs as its image was shipped: the image's own numeric user (1654), and the system runs each container
/// with a read-only root file system and every capability dropped; its health check (GET /healthz) says healthy.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class ImageTests(Stack stack, ITestOutputHelper output)
{
    public static TheoryData<string> Services => ["gateway", "orchestrator", "worker", "chat", "frontend"];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task The_service_runs_read_only_as_1654_without_capabilities_and_is_healthy(string service)
    {
        await stack.WaitHealthyAsync(TimeSpan.FromMinutes(2));
        var containers = stack.Containers(service).Where(c => c.RunState == "running").ToList();
        Assert.NotEmpty(containers);
        foreach (var container in containers)
        {
            var host = container.Inspect.GetProperty("HostConfig");
            Assert.True(host.GetProperty("ReadonlyRootfs").GetBoolean(), $"{container.Name} has a writable root");
            Assert.Contains("ALL", host.GetProperty("CapDrop").EnumerateArray().Select(c => c.GetString()));
            Assert.Equal(JsonValueKind.Null, host.GetProperty("CapAdd").ValueKind);
            Assert.False(host.GetProperty("Privileged").GetBoolean());
            Assert.Equal("healthy", container.Inspect.GetProperty("State").GetProperty("Health").GetProperty("Status").GetString());
            // Every process in it really runs as 1654 (docker top asks the host's ps, numerically).
            var users = stack.Docker("top", container.Id, "-o", "pid,uid").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).ToList();
            Assert.NotEmpty(users);
            Assert.All(users, user => Assert.Equal("1654", user));
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void The_image_names_user_1654_a_health_check_and_its_origin(string service)
    {
        var image = stack.Containers(service)[0].ImageReference;
        using var document = JsonDocument.Parse(stack.Docker("image", "inspect", image));
        var config = document.RootElement[0].GetProperty("Config");
        var size = document.RootElement[0].GetProperty("Size").GetInt64();
        output.WriteLine($"{image}: {size / 1e6:0.0} MB");

        Assert.Equal("1654", config.GetProperty("User").GetString());
        Assert.Contains("/healthz", string.Join(' ', config.GetProperty("Healthcheck").GetProperty("Test").EnumerateArray().Select(t => t.GetString())), StringComparison.Ordinal);
        var labels = config.GetProperty("Labels");
        foreach (var label in new[] { "org.opencontainers.image.revision", "org.opencontainers.image.created", "org.opencontainers.image.title" })
        {
            Assert.False(string.IsNullOrEmpty(labels.TryGetProperty(label, out var value) ? value.GetString() : null), $"{image} has no {label}");
        }
    }
}
