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
            host.Restart();
        }

        await stop.CancelAsync();
        await reader;
        await host.DisposeAsync();

        Assert.True(host.HasExited);
        Assert.InRange(ids.Count, 2, 21);
        Assert.Contains("[load] sleeper restarted", await File.ReadAllTextAsync(host.LogPath));
    }
}
