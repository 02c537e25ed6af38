using System.Net;
using System.Net.Sockets;

namespace AgentSystem.Testing.Containers.Tests;

public class ServicePortsTests
{
    [Fact]
    public void Ports_are_distinct_bindable_and_below_the_ephemeral_range()
    {
        var ports = Enumerable.Range(0, 50).Select(_ => ServicePorts.Free()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        var (start, end) = ServicePorts.EphemeralRange();
        Assert.All(ports, port => Assert.True(port >= ServicePorts.Lowest && (port < start || port > end), $"{port}: in {start}-{end}"));
        using var listener = new TcpListener(IPAddress.Loopback, ports[0]);
        listener.Start();
    }

    [Fact]
    public void The_range_picked_from_is_outside_the_kernels_whatever_its_setting()
    {
        Assert.Equal((ServicePorts.Lowest, 32_768), ServicePorts.PickRange((32_768, 60_999)));
        Assert.Equal((61_000, 65_536), ServicePorts.PickRange((1_024, 60_999)));
        Assert.Throws<InvalidOperationException>(() => ServicePorts.PickRange((1_024, 65_000)));
    }

    [Fact]
    public void Only_a_port_nobody_listens_on_is_handed_out_and_only_once()
    {
        // A slice below what Free() hands out (the system tests, running beside this suite, hold ports from it), every
        // port of it held but one.
        const int Lowest = ServicePorts.Lowest - 1_000, Below = Lowest + 20;
        var held = Enumerable.Range(Lowest, Below - Lowest - 1).Select(port => new TcpListener(IPAddress.Loopback, port)).ToList();
        try
        {
            held.ForEach(listener => listener.Start());

            Assert.Equal(Below - 1, ServicePorts.Free(Lowest, Below));
            Assert.Throws<InvalidOperationException>(() => ServicePorts.Free(Lowest, Below));
        }
        finally
        {
            held.ForEach(listener => listener.Dispose());
        }
    }
}
