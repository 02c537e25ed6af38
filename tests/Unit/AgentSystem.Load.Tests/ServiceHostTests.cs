using AgentSystem.Load.UnderTest;

namespace AgentSystem.Load.Tests;

/// <summary>A service process of the system under test, as the SIGKILL check restarts it while others read it.</summary>
public sealed class ServiceHostTests : IDisposable
{
    private readonly string _logs = Directory.CreateTempSubdirectory("servicehost-").FullName;

    public void Dispose() => Directory.Delete(_logs, recursive: true);

    [Fact]
    public async Task Its_process_id_reads_cleanly_while_it_is_restarted()
    {
        // ci188: the CPU sampler read a restarted worker's disposed process and the load run ended.
        var host = ServiceHost.Start("sleeper", "sleep", ["30"], _logs, new Dictionary<string, string>(), _logs);
        using var stop = new CancellationTokenSource();
        var ids = new HashSet<int>();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (!host.HasExited)
                {
                    ids.Add(host.ProcessId);
                }
            }
        });

        for (var restart = 0; restart < 20; restart++)
        {
            host.Restart("the test restarts it");
        }

        await stop.CancelAsync();
        await reader;
        await host.DisposeAsync();

        Assert.True(host.HasExited);
        Assert.InRange(ids.Count, 2, 21);
        Assert.Contains("[load] sleeper restarted: the test restarts it", await File.ReadAllTextAsync(host.LogPath));
    }

    [Fact]
    public async Task A_process_killed_by_another_hand_is_told_from_one_the_harness_stopped()
    {
        // helper-139: a worker killed by hand mid-run went unnoticed until the SIGKILL check ended the run.
        await using var host = ServiceHost.Start("sleeper", "sleep", ["30"], _logs, new Dictionary<string, string>(), _logs);
        Assert.Null(host.UnaskedExit);

        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", host.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!host.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Matches(@"^sleeper \(pid \d+\) exited with code 137 \(SIGKILL\) at \d\d:\d\d:\d\d$", host.UnaskedExit);

        host.Restart("killed by the test");
        Assert.Null(host.UnaskedExit);
        host.Kill();
        Assert.True(host.HasExited);
        Assert.Null(host.UnaskedExit);
    }

    [Theory]
    [InlineData(137, " (SIGKILL)")]
    [InlineData(143, " (SIGTERM)")]
    [InlineData(130, " (signal 2)")]
    [InlineData(0, "")]
    [InlineData(3, "")]
    public void An_exit_code_names_the_signal_that_ended_the_process(int exitCode, string said) =>
        Assert.Equal(said, ServiceHost.ExitSignal(exitCode));
}
