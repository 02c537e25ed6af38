using System.Globalization;
using System.Text.Json.Nodes;
using AgentSystem.Testing.Containers.Sessions;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>
/// What a test process leaves behind: nothing when it disposes or exits, and, when it is killed, nothing after the
/// next session's sweep. Each case runs this assembly as a child process (see <see cref="Program"/>).
/// </summary>
public sealed class SessionSweepTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_sweep_removes_what_a_killed_test_process_left()
    {
        var environment = await DockerEnvironment.GetAsync();
        using var child = HelperProcess.Start(Program.Hold);
        var ready = await child.ReadLineAsync("READY");
        var (container, network, volume, session) = (ready[0], ready[1], ready[2], ready[3]);
        Assert.NotNull(await environment.Client.TryInspectContainerAsync(container, CancellationToken.None));

        // Alive: a sweep leaves it alone.
        await SessionSweeper.SweepAsync(environment.Client, TestSession.Current);
        Assert.NotNull(await environment.Client.TryInspectContainerAsync(container, CancellationToken.None));

        await child.KillAsync(); // SIGKILL: no exit handler runs
        Assert.NotEmpty(await Resources(environment, session));

        var swept = await SessionSweeper.SweepAsync(environment.Client, TestSession.Current);
        output.WriteLine(swept.ToString());

        Assert.Null(await environment.Client.TryInspectContainerAsync(container, CancellationToken.None));
        Assert.Empty(await Resources(environment, session));
        Assert.DoesNotContain(await environment.Client.ListNetworksAsync([SessionLabels.TestsFilter], CancellationToken.None), n => Id(n) == network);
        Assert.DoesNotContain(await environment.Client.ListVolumesAsync([SessionLabels.TestsFilter], CancellationToken.None), v => v["Name"]?.GetValue<string>() == volume);
    }

    [Fact]
    public async Task A_process_that_exits_without_disposing_removes_its_resources_at_exit_and_writes_its_timings()
    {
        var environment = await DockerEnvironment.GetAsync();
        var timings = Path.Combine(Path.GetTempPath(), $"agentsystem-timings-{Guid.NewGuid():N}.jsonl");
        try
        {
            using var child = HelperProcess.Start(Program.Leave, new Dictionary<string, string?> { [ContainerTimings.FileVariable] = timings });
            var ready = await child.ReadLineAsync("READY");
            Assert.Equal(0, await child.WaitForExitAsync());

            Assert.Empty(await Resources(environment, ready[3]));
            var line = Assert.Single(await File.ReadAllLinesAsync(timings));
            var timing = JsonNode.Parse(line)!;
            Assert.Equal("debian", timing["logical"]!.GetValue<string>());
            Assert.True(timing["seconds"]!.GetValue<double>() > 0);
            output.WriteLine(line);
        }
        finally
        {
            File.Delete(timings);
        }
    }

    [Fact]
    public async Task Nothing_of_a_session_remains_after_disposal()
    {
        using var child = HelperProcess.Start(Program.DisposeAll);

        var left = await child.ReadLineAsync("LEFT");

        Assert.Equal(["0", "0", "0"], left[..3]);
        Assert.Equal(0, await child.WaitForExitAsync());
    }

    [Fact]
    public void A_session_on_this_host_is_abandoned_when_its_process_is_gone_or_was_replaced()
    {
        var now = DateTimeOffset.UtcNow;
        var self = Labels(Environment.ProcessId, ProcessInfo.TryGetStartTime(Environment.ProcessId), Environment.MachineName, now);
        var reused = Labels(Environment.ProcessId, ProcessInfo.TryGetStartTime(Environment.ProcessId) + 1, Environment.MachineName, now);
        var dead = Labels(int.MaxValue, 1, Environment.MachineName, now);

        Assert.False(SessionSweeper.IsAbandoned(self, TestSession.Current, now));
        Assert.True(SessionSweeper.IsAbandoned(reused, TestSession.Current, now));
        Assert.True(SessionSweeper.IsAbandoned(dead, TestSession.Current, now));
        Assert.False(SessionSweeper.IsAbandoned(TestSession.Current.Labels, TestSession.Current, now));
    }

    [Fact]
    public void Another_hosts_session_is_abandoned_only_when_old()
    {
        var now = DateTimeOffset.UtcNow;
        var young = Labels(1, 1, "another-host", now - TimeSpan.FromHours(1));
        var old = Labels(1, 1, "another-host", now - SessionSweeper.OtherHostMaxAge - TimeSpan.FromMinutes(1));

        Assert.False(SessionSweeper.IsAbandoned(young, TestSession.Current, now));
        Assert.True(SessionSweeper.IsAbandoned(old, TestSession.Current, now));
    }

    [Fact]
    public void A_session_in_another_pid_namespace_is_judged_by_age_not_by_pid()
    {
        // Same host name (a container on the host network), but its pids are not ours to look up.
        var now = DateTimeOffset.UtcNow;
        var young = Labels(int.MaxValue, 1, Environment.MachineName, now);
        young[SessionLabels.PidNamespace] = "pid:[1]";

        Assert.False(SessionSweeper.IsAbandoned(young, TestSession.Current, now));
        Assert.True(SessionSweeper.IsAbandoned(young, TestSession.Current, now + SessionSweeper.OtherHostMaxAge + TimeSpan.FromMinutes(1)));
        Assert.StartsWith("pid:[", TestSession.Current.PidNamespace, StringComparison.Ordinal);
    }

    [Fact]
    public void The_process_start_time_comes_from_proc()
    {
        var mine = ProcessInfo.TryGetStartTime(Environment.ProcessId);

        Assert.NotNull(mine);
        Assert.Equal(mine, TestSession.Current.ProcessStartTime);
        Assert.Null(ProcessInfo.TryGetStartTime(int.MaxValue));
    }

    private static Dictionary<string, string> Labels(int pid, long? startTime, string host, DateTimeOffset created) => new()
    {
        [SessionLabels.Tests] = "true",
        [SessionLabels.Session] = Guid.NewGuid().ToString("D"),
        [SessionLabels.ProcessId] = pid.ToString(CultureInfo.InvariantCulture),
        [SessionLabels.ProcessStartTime] = startTime?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
        [SessionLabels.Host] = host,
        [SessionLabels.BootId] = ProcessInfo.BootId ?? string.Empty,
        [SessionLabels.PidNamespace] = ProcessInfo.PidNamespace ?? string.Empty,
        [SessionLabels.Created] = created.ToString("O", CultureInfo.InvariantCulture),
    };

    private static async Task<List<string>> Resources(DockerEnvironment environment, string session)
    {
        string[] filter = [$"{SessionLabels.Session}={session}"];
        var containers = await environment.Client.ListContainersAsync(filter, CancellationToken.None);
        var networks = await environment.Client.ListNetworksAsync(filter, CancellationToken.None);
        var volumes = await environment.Client.ListVolumesAsync(filter, CancellationToken.None);
        return [.. containers.Select(c => "container " + Id(c)), .. networks.Select(n => "network " + Id(n)), .. volumes.Select(v => "volume " + v["Name"])];
    }

    private static string? Id(JsonObject resource) => resource["Id"]?.GetValue<string>();
}
