using AgentSystem.Testing.Containers.Engine;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>No engine: one exception type with one line that says what to do, from the first use on.</summary>
public sealed class DockerUnavailableTests
{
    private const string Expected =
        "No Docker engine answers at unix:///tmp/nothing.sock: start Docker, or on Debian/Ubuntu as root run ./build.sh DockerEngine";

    [Fact]
    public async Task A_missing_socket_gives_one_clear_line()
    {
        var failure = await Assert.ThrowsAsync<DockerUnavailableException>(
            () => DockerClient.ConnectAsync(DockerEndpoint.Parse("unix:///tmp/nothing.sock")));

        Assert.Equal(Expected, failure.Message);
        Assert.DoesNotContain('\n', failure.Message);
        Assert.Null(failure.InnerException);
        Assert.NotNull(failure.Detail);
    }

    [Fact]
    public async Task A_refused_tcp_endpoint_gives_the_same_kind_of_line()
    {
        var failure = await Assert.ThrowsAsync<DockerUnavailableException>(
            () => DockerClient.ConnectAsync(DockerEndpoint.Parse("tcp://127.0.0.1:1")));

        Assert.Equal("No Docker engine answers at tcp://127.0.0.1:1: " + DockerUnavailableException.Remedy, failure.Message);
    }

    [Fact]
    public async Task A_process_with_DOCKER_HOST_pointing_nowhere_fails_on_first_use_with_that_line_every_time()
    {
        using var child = HelperProcess.Start(Program.Connect, new Dictionary<string, string?> { [DockerEndpoint.EnvironmentVariable] = "unix:///tmp/nothing.sock" });

        var output = await child.ReadAllOutputAsync();

        Assert.Equal(3, await child.WaitForExitAsync());
        Assert.Equal([$"UNAVAILABLE {Expected}", $"UNAVAILABLE {Expected}"], output.TrimEnd('\n').Split('\n'));
    }
}
