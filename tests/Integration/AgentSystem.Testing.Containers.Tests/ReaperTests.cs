using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Containers;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>
/// A test process killed with SIGKILL (no exit handler runs) leaves nothing in Docker: its reaper (Ryuk, or ours from
/// build/images/reaper where Ryuk cannot be pulled) sees the connection drop and removes the session's containers,
/// networks and volumes, then itself.
/// </summary>
public sealed class ReaperTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Nothing_of_a_test_process_killed_with_SIGKILL_remains_30_seconds_later()
    {
        using var docker = EngineClient.Create();
        using var child = HelperProcess.Start(Program.Hold);
        var session = (await child.ReadLineAsync("READY"))[0];
        var held = await ResourcesAsync(docker, session);
        output.WriteLine($"session {session} holds: {string.Join(", ", held)}");
        Assert.Contains(held, r => r.StartsWith("container ", StringComparison.Ordinal));
        Assert.Contains(held, r => r.StartsWith("network ", StringComparison.Ordinal));
        Assert.Contains(held, r => r.StartsWith("volume ", StringComparison.Ordinal));
        Assert.Contains(held, r => r.StartsWith("reaper ", StringComparison.Ordinal));

        await child.KillAsync();
        var sinceKill = Stopwatch.StartNew();
        var left = held;
        while (left.Count > 0 && sinceKill.Elapsed < Bound)
        {
            await Task.Delay(500);
            left = await ResourcesAsync(docker, session);
        }

        output.WriteLine($"{(left.Count == 0 ? "all gone" : "still there")} {sinceKill.Elapsed.TotalSeconds:0.0} s after the kill");
        Assert.True(left.Count == 0, $"{Bound.TotalSeconds} s after SIGKILL, still there: {string.Join(", ", left)}");
    }

    private static async Task<List<string>> ResourcesAsync(DockerClient docker, string session)
    {
        var filter = EngineClient.Filter("label", $"{ResourceReaper.ResourceReaperSessionLabel}={session}");
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter });
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter });
        var volumes = await docker.Volumes.ListAsync(new VolumesListParameters { Filters = filter });
        var reapers = await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = EngineClient.Filter("name", $"testcontainers-ryuk-{session}") });
        return
        [
            .. containers.Select(c => $"container {c.Names[0]} ({c.Image})"),
            .. networks.Select(n => $"network {n.Name}"),
            .. (volumes.Volumes ?? []).Select(v => $"volume {v.Name}"),
            .. reapers.Select(r => $"reaper {r.Names[0]} ({r.Image})"),
        ];
    }
}
