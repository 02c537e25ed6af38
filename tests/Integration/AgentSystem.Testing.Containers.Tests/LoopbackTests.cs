namespace AgentSystem.Testing.Containers.Tests;

/// <summary>Ports published on 127.0.0.1 are reachable only from the engine's own machine.</summary>
public sealed class LoopbackTests
{
    [Theory]
    [InlineData("unix:///var/run/docker.sock", true)]
    [InlineData("npipe://./pipe/docker_engine", true)]
    [InlineData("tcp://127.0.0.1:2375", true)]
    [InlineData("tcp://localhost:2375", true)]
    [InlineData("tcp://[::1]:2375", true)]
    [InlineData("tcp://docker.example.com:2376", false)]
    [InlineData("tcp://10.0.0.5:2375", false)]
    [InlineData("ssh://me@build-host", false)]
    public void An_engine_reaches_the_tests_published_ports_only_from_this_machine(string endpoint, bool reaches) =>
        Assert.Equal(reaches, Loopback.Reaches(new Uri(endpoint)));
}
