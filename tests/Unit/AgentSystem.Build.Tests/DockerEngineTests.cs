using System.Diagnostics;
using System.Text.Json;
using AgentSystem.Build.Docker;

namespace AgentSystem.Build.Tests;

/// <summary>The dockerd the build starts outlives the build and the checkout that started it.</summary>
public sealed class DockerEngineTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("docker-engine-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_daemon_runs_in_the_root_folder_with_its_output_in_the_log_it_is_given()
    {
        var program = Path.Combine(_folder, "daemon");
        FakeClusterTools.WriteExecutable(program, "#!/bin/sh\npwd\necho started\n");
        var log = Path.Combine(_folder, "logs", "daemon.log");

        DockerEngine.StartDetached(program, log, CancellationToken.None);

        // Detached: the log fills after StartDetached returned. The wait is a bound, not a measurement.
        var watch = Stopwatch.StartNew();
        while (!(File.Exists(log) && File.ReadAllText(log).Contains("started", StringComparison.Ordinal)) && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(50);
        }

        Assert.Equal(["/", "started"], File.ReadAllLines(log).Where(l => !l.StartsWith("nohup:", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_engine_the_build_provisions_forwards_ports_in_the_kernel_and_publishes_them_on_loopback_unless_told()
    {
        using var config = JsonDocument.Parse(DockerEngine.DaemonConfig);

        Assert.False(config.RootElement.GetProperty("userland-proxy").GetBoolean());
        Assert.Equal("127.0.0.1", config.RootElement.GetProperty("ip").GetString());
    }

    [Fact]
    public void The_architecture_names_the_daemon_log_the_build_writes()
    {
        Assert.Contains($"log in `{DockerEngine.DaemonLog}`", RepositoryFiles.Read("docs/architecture.md"), StringComparison.Ordinal);
    }
}
