using AgentSystem.Testing.Containers.Images;
using AgentSystem.Testing.Containers.Sessions;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>Exec, logs, stop, and the file-system options: read-only root, tmpfs, bind mounts, labelled volumes.</summary>
public sealed class ExecAndFileSystemTests
{
    [Fact]
    public async Task Exec_returns_the_exit_code_and_both_streams()
    {
        await using var container = await Sleeper().StartAsync();

        var result = await container.ExecAsync("bash", "-c", "echo out; echo err >&2; exit 7");

        Assert.Equal(7, result.ExitCode);
        Assert.Equal("out\n", result.Stdout);
        Assert.Equal("err\n", result.Stderr);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task Logs_can_be_limited_to_the_last_lines()
    {
        // Order between stdout and stderr lines is the engine's (two copiers), so "done" comes well after "warn".
        await using var container = await new ContainerBuilder(KnownImages.Debian)
            .WithCommand("bash", "-c", "for i in 1 2 3 4 5; do echo \"line $i\"; done; echo warn >&2; sleep 0.3; echo done; sleep infinity")
            .WithWaitStrategy(Waits.Wait.ForLogMessage("^done$"))
            .StartAsync();

        var all = await container.GetLogsAsync();
        var tail = await container.GetLogsAsync(tail: 1);

        Assert.Equal("line 1\nline 2\nline 3\nline 4\nline 5\ndone\n", all.Stdout);
        Assert.Equal("warn\n", all.Stderr);
        Assert.Equal(7, all.Lines.Count);
        Assert.Equal(["done"], tail.Lines);
    }

    [Fact]
    public async Task A_read_only_root_refuses_writes_but_a_tmpfs_takes_them()
    {
        await using var container = await Sleeper().WithReadOnlyRootFilesystem().WithTmpfs("/scratch", "rw,size=16m").StartAsync();

        var root = await container.ExecAsync("touch", "/probe");
        var scratch = await container.ExecAsync("bash", "-c", "echo hi > /scratch/x && cat /scratch/x");

        Assert.NotEqual(0, root.ExitCode);
        Assert.Contains("Read-only file system", root.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, scratch.ExitCode);
        Assert.Equal("hi\n", scratch.Stdout);
    }

    [Fact]
    public async Task A_bind_mount_shows_host_files_read_only()
    {
        var directory = Directory.CreateTempSubdirectory("agentsystem-bind-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "hello.txt"), "from the host");
            await using var container = await Sleeper().WithBindMount(directory.FullName, "/host", readOnly: true).StartAsync();

            var read = await container.ExecAsync("cat", "/host/hello.txt");
            var write = await container.ExecAsync("touch", "/host/new.txt");

            Assert.Equal("from the host", read.Stdout);
            Assert.NotEqual(0, write.ExitCode);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_volume_carries_the_session_labels_and_goes_with_its_container()
    {
        var environment = await DockerEnvironment.GetAsync();
        var container = await Sleeper().WithVolume("/data").StartAsync();
        var volume = Assert.Single(container.Volumes);

        var labelled = await environment.Client.ListVolumesAsync([TestSession.Current.Filter], CancellationToken.None);
        Assert.Contains(labelled, v => v["Name"]?.GetValue<string>() == volume);
        Assert.Equal(0, (await container.ExecAsync("bash", "-c", "echo kept > /data/file")).ExitCode);

        await container.DisposeAsync();

        var after = await environment.Client.ListVolumesAsync([TestSession.Current.Filter], CancellationToken.None);
        Assert.DoesNotContain(after, v => v["Name"]?.GetValue<string>() == volume);
    }

    [Fact]
    public async Task Stop_leaves_an_exited_container_until_it_is_disposed()
    {
        await using var container = await Sleeper().StartAsync();

        await container.StopAsync(TimeSpan.FromSeconds(1));
        var state = await container.GetStateAsync();

        Assert.False(state.Running);
        Assert.Equal("exited", state.Status);
    }

    [Fact]
    public async Task Containers_carry_the_session_labels_and_the_callers_own()
    {
        var environment = await DockerEnvironment.GetAsync();
        await using var container = await Sleeper().WithLabel("purpose", "label-test").WithNamePrefix("agentsystem-test-labels").StartAsync();

        var inspect = await environment.Client.InspectContainerAsync(container.Id, CancellationToken.None);
        var labels = inspect["Config"]!["Labels"]!;

        Assert.StartsWith("agentsystem-test-labels-", container.Name, StringComparison.Ordinal);
        Assert.Equal("true", labels[SessionLabels.Tests]!.GetValue<string>());
        Assert.Equal(TestSession.Current.Id.ToString("D"), labels[SessionLabels.Session]!.GetValue<string>());
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), labels[SessionLabels.ProcessId]!.GetValue<string>());
        Assert.Equal(Environment.MachineName, labels[SessionLabels.Host]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(labels[SessionLabels.ProcessStartTime]!.GetValue<string>()));
        Assert.Equal("label-test", labels["purpose"]!.GetValue<string>());
        Assert.Equal("debian", labels[SessionLabels.LogicalImage]!.GetValue<string>());
    }

    private static ContainerBuilder Sleeper() => new ContainerBuilder(KnownImages.Debian).WithCommand("sleep", "infinity");
}
