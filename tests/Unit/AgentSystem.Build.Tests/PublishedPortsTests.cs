using AgentSystem.Build.Docker;

namespace AgentSystem.Build.Tests;

public sealed class PublishedPortsTests
{
    [Fact]
    public void The_ports_column_gives_each_host_address_port_and_protocol()
    {
        var ports = PublishedPorts.Parse("127.0.0.1:8080->80/tcp, [::1]:8080->80/tcp, :::32768->5432/tcp, 0.0.0.0:53->53/UDP, 0.0.0.0:9000-9001->9000-9001/tcp, 6379/tcp");

        Assert.Equal(
            [("127.0.0.1", 8080, "tcp"), ("::1", 8080, "tcp"), ("::", 32768, "tcp"), ("0.0.0.0", 53, "udp"), ("0.0.0.0", 9000, "tcp"), ("0.0.0.0", 9001, "tcp")],
            ports);
    }

    /// <summary>helper-127: docker ps --filter publish=N matched a container's own port N, on whatever host port.</summary>
    [Fact]
    public void A_container_holds_its_host_port_not_its_own()
    {
        const string Lines = "agentsystem-1-control-plane\t127.0.0.1:8080->30080/tcp, 127.0.0.1:40123->6443/tcp\nother-gateway-1\t127.0.0.1:32800->8080/tcp\n";

        Assert.Equal(["agentsystem-1-control-plane"], PublishedPorts.Holders(Lines, "127.0.0.1", 8080, "tcp"));
        Assert.Empty(PublishedPorts.Holders(Lines, "127.0.0.1", 6443, "tcp"));
        Assert.Empty(PublishedPorts.Holders(Lines, "127.0.0.1", 8080, "udp"));
    }

    [Theory]
    [InlineData("127.0.0.1:8080->80/tcp", "127.0.0.1", true)]
    [InlineData("127.0.0.1:8080->80/tcp", "0.0.0.0", true)]
    [InlineData("0.0.0.0:8080->80/tcp", "127.0.0.1", true)]
    [InlineData("[::]:8080->80/tcp", "127.0.0.2", false)]   // helper-128: Docker's "::" socket is IPv6 only
    [InlineData("[::]:8080->80/tcp", "::1", true)]
    [InlineData("0.0.0.0:8080->80/tcp", "::", true)]          // kind's "::" is dual-stack
    [InlineData("0.0.0.0 : 8080 -> 80/tcp", "127.0.0.1", true)] // an old CLI's spaces
    [InlineData("127.0.0.2:8080->80/tcp", "127.0.0.1", false)]   // helper-123: another specific address is no conflict
    [InlineData("[::1]:8080->80/tcp", "127.0.0.1", false)]
    public void A_port_is_held_on_the_same_address_or_when_either_side_takes_all(string ports, string address, bool held) =>
        Assert.Equal(held, PublishedPorts.Holds(ports, address, 8080, "tcp"));
}
