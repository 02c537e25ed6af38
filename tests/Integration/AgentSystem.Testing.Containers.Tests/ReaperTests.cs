using System.Diagnostics;
using AgentSystem.Testing.Containers.Fixtures;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>
/// A test process killed with SIGKILL (no exit handler runs) leaves nothing in Docker: its reaper (Ryuk, or ours from
/// build/images/reaper where Ryuk cannot be pulled) sees the connection drop and removes the session's containers,
/// networks and volumes, then itself. The reaper listens on loopback only, and it is the library's: Testcontainers,
/// which publishes its own on every interface, starts none.
/// </summary>
public sealed class ReaperTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly ITestOutputHelper _output;

    public ReaperTests(ITestOutputHelper output)
    {
        // Each test here is about the reaper: with it turned off, say so rather than fail on what is missing.
        Assert.True(SessionReaper.Enabled, "TESTCONTAINERS_RYUK_DISABLED is set, so no resource reaper runs: these tests check one (unset it to run them).");
        _output = output;
    }

    [Fact]
    public async Task Nothing_of_a_test_process_killed_with_SIGKILL_remains_30_seconds_later()
    {
        using var docker = EngineClient.Create();
        using var child = HelperProcess.Start(Program.Hold);
        var session = (await child.ReadLineAsync("READY"))[0];
        var held = await ResourcesAsync(docker, session);
        _output.WriteLine($"session {session} holds: {string.Join(", ", held)}");
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

        _output.WriteLine($"{(left.Count == 0 ? "all gone" : "still there")} {sinceKill.Elapsed.TotalSeconds:0.0} s after the kill");
        Assert.True(left.Count == 0, $"{Bound.TotalSeconds} s after SIGKILL, still there: {string.Join(", ", left)}");
    }

    [Fact]
    public async Task The_reaper_is_published_on_loopback_only_and_Testcontainers_starts_none_of_its_own()
    {
        await SharedContainers.GetRedisAsync();
        using var docker = EngineClient.Create();

        var running = await SessionReapersAsync(docker);
        // One at a time: a lost one's successor is named NAME-2 (the test below).
        var reaper = await docker.Containers.InspectContainerAsync(Assert.Single(running).ID);
        // What the container asks for, not what the engine made of it: an engine whose daemon.json names 127.0.0.1
        // (the one the build provisions) would put an address-less binding there too.
        var bindings = reaper.HostConfig!.PortBindings![$"{SessionReaper.Port}/tcp"];
        _output.WriteLine($"{reaper.Name} ({reaper.Config?.Image}): {string.Join(", ", bindings.Select(b => $"{b.HostIP}:{b.HostPort}"))}");
        Assert.NotEmpty(bindings);
        Assert.All(bindings, binding => Assert.Equal(Loopback.Address, binding.HostIP));
        Assert.Empty(await TestcontainersReapersAsync(docker));
    }

    [Theory]
    [InlineData("label=org.testcontainers.resource-reaper-session=00000000-0000-0000-0000-000000000000")]
    [InlineData("name=redis")]
    [InlineData("label=org.testcontainers=true")]
    public async Task Our_reaper_refuses_a_filter_that_reaches_beyond_one_session(string filter)
    {
        await SharedContainers.GetRedisAsync();
        using var docker = EngineClient.Create();
        var reaper = Assert.Single(await SessionReapersAsync(docker));
        if (TestImages.Reaper is not { IsLocal: true } ours || reaper.Image != ours.Reference)
        {
            // Ryuk's own image answers ACK to any line; where it runs (a machine that pulls it), its port is all there is.
            _output.WriteLine($"the reaper runs {reaper.Image}, not build/images/reaper's: nothing of ours to check");
            return;
        }

        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, reaper.Ports.Single(p => p.PrivatePort == SessionReaper.Port).PublicPort!.Value);
        using var reader = new StreamReader(client.GetStream());
        await client.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(filter + "\n"));

        Assert.Equal("ERR", await reader.ReadLineAsync());
    }

    [Fact]
    public async Task A_container_built_without_the_session_fails_to_start_rather_than_start_Testcontainers_reaper()
    {
        await using var container = new ContainerBuilder(TestImages.Redis).Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => container.StartAsync());

        _output.WriteLine(error.Message);
        Assert.Contains(".WithSessionCleanUp()", error.Message, StringComparison.Ordinal);
        using var docker = EngineClient.Create();
        Assert.Empty(await TestcontainersReapersAsync(docker));
    }

    [Fact]
    public async Task A_reaper_that_is_lost_is_replaced_for_the_containers_started_after_it()
    {
        await SharedContainers.GetRedisAsync();
        using var docker = EngineClient.Create();
        var first = await SessionReapersAsync(docker);
        Assert.NotEmpty(first);

        // Removed under it (an engine restarted, a user's `docker rm -f`): its connection drops and does not come back.
        foreach (var reaper in first)
        {
            await docker.Containers.RemoveContainerAsync(reaper.ID, new ContainerRemoveParameters { Force = true });
        }

        var sinceRemoved = Stopwatch.StartNew();
        while (SessionReaper.IsHeld && sinceRemoved.Elapsed < Bound)
        {
            await Task.Delay(250);
        }

        Assert.False(SessionReaper.IsHeld, $"{Bound.TotalSeconds} s after its reaper was removed, the session still counts it as held");
        await using var redis = await TestRedis.StartAsync(TestRedis.Builder());
        var replacements = await SessionReapersAsync(docker);
        _output.WriteLine($"lost after {sinceRemoved.Elapsed.TotalSeconds:0.0} s; now {string.Join(", ", replacements.Select(r => r.Names[0]))}");
        Assert.Single(replacements);
        Assert.True(SessionReaper.IsHeld);
    }

    /// <summary>This process's running reapers: the session's, and a lost one's successor (NAME-2) by the same prefix.</summary>
    private static Task<IList<ContainerListResponse>> SessionReapersAsync(DockerClient docker) =>
        docker.Containers.ListContainersAsync(new ContainersListParameters { Filters = EngineClient.Filter("name", SessionReaper.ContainerName) });

    /// <summary>The reaper Testcontainers would start for this process (its default session), running or not.</summary>
    private static Task<IList<ContainerListResponse>> TestcontainersReapersAsync(DockerClient docker) =>
        docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = EngineClient.Filter("name", $"testcontainers-ryuk-{ResourceReaper.DefaultSessionId:D}") });

    private static async Task<List<string>> ResourcesAsync(DockerClient docker, string session)
    {
        var filter = EngineClient.Filter("label", $"{ResourceReaper.ResourceReaperSessionLabel}={session}");
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter });
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter });
        var volumes = await docker.Volumes.ListAsync(new VolumesListParameters { Filters = filter });
        var reapers = await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = EngineClient.Filter("name", SessionReaper.ContainerNameOf(Guid.Parse(session))) });
        return
        [
            .. containers.Select(c => $"container {c.Names[0]} ({c.Image})"),
            .. networks.Select(n => $"network {n.Name}"),
            .. (volumes.Volumes ?? []).Select(v => $"volume {v.Name}"),
            .. reapers.Select(r => $"reaper {r.Names[0]} ({r.Image})"),
        ];
    }
}
