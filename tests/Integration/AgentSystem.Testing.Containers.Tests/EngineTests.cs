using AgentSystem.Testing.Containers.Engine;
using AgentSystem.Testing.Containers.Waits;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>The engine plumbing that needs no engine: endpoints, the multiplexed stream, image tags, /proc/net/tcp.</summary>
public sealed class EngineTests
{
    [Fact]
    public void The_multiplexed_stream_is_split_by_its_frame_headers()
    {
        byte[] data =
        [
            1, 0, 0, 0, 0, 0, 0, 4, .. "out\n"u8.ToArray(),
            2, 0, 0, 0, 0, 0, 0, 4, .. "err\n"u8.ToArray(),
            1, 0, 0, 0, 0, 0, 0, 5, .. "more\n"u8.ToArray(),
        ];

        var output = DockerStreamDemultiplexer.Demultiplex(data);

        Assert.Equal("out\nmore\n", output.Stdout);
        Assert.Equal("err\n", output.Stderr);
        Assert.Equal("out\nerr\nmore\n", output.Combined);
        Assert.Equal(["out", "err", "more"], output.Lines);
    }

    [Fact]
    public void A_raw_stream_from_a_tty_container_is_all_stdout()
    {
        var output = DockerStreamDemultiplexer.Demultiplex("plain text\n"u8);

        Assert.Equal("plain text\n", output.Stdout);
        Assert.Equal(string.Empty, output.Stderr);
    }

    [Theory]
    [InlineData("unix:///var/run/docker.sock", "/var/run/docker.sock", null, 0, true)]
    [InlineData("tcp://127.0.0.1:2376", null, "127.0.0.1", 2376, true)]
    [InlineData("tcp://docker.example.com", null, "docker.example.com", 2375, false)]
    [InlineData("tcp://localhost:80", null, "localhost", 80, true)]
    public void Endpoints_are_parsed_as_DOCKER_HOST_writes_them(string address, string? socket, string? host, int port, bool loopback)
    {
        var endpoint = DockerEndpoint.Parse(address);

        Assert.Equal(socket, endpoint.SocketPath);
        Assert.Equal(host, endpoint.TcpHost);
        Assert.Equal(port, endpoint.TcpPort);
        Assert.Equal(loopback, endpoint.IsLoopback);
        Assert.Equal(address, endpoint.ToString());
    }

    [Fact]
    public void An_unsupported_endpoint_says_which_forms_work()
    {
        var failure = Assert.Throws<ArgumentException>(() => DockerEndpoint.Parse("ssh://user@host"));

        Assert.Contains("use unix:///path/to/docker.sock or tcp://host:port", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres:16-alpine", "postgres", "16-alpine")]
    [InlineData("postgres", "postgres", "latest")]
    [InlineData("localhost:5000/team/redis:7", "localhost:5000/team/redis", "7")]
    [InlineData("localhost:5000/team/redis", "localhost:5000/team/redis", "latest")]
    public void Image_references_split_into_repository_and_tag(string image, string repository, string tag)
    {
        Assert.Equal((repository, tag), DockerClient.SplitTag(image));
    }

    [Fact]
    public void A_listening_socket_is_found_in_proc_net_tcp()
    {
        const string table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   100        0 1 1
               1: 0100007F:1538 0100007F:C000 01 00000000:00000000 00:00000000 00000000   100        0 2 1
            """;

        Assert.True(PortWaitStrategy.IsListening(table, 6379));
        Assert.False(PortWaitStrategy.IsListening(table, 5432)); // established, not listening
        Assert.False(PortWaitStrategy.IsListening(table, 8080));
    }
}
