using System.Net;
using System.Net.Sockets;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build.Tests;

public sealed class LocalPortsTests
{
    [Fact]
    public void A_port_something_listens_on_is_in_use_and_a_free_one_is_not()
    {
        var held = new TcpListener(IPAddress.Loopback, 0);
        held.Start();
        var free = new TcpListener(IPAddress.Loopback, 0);
        free.Start();
        var freePort = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        try
        {
            var heldPort = ((IPEndPoint)held.LocalEndpoint).Port;

            var busy = LocalPorts.InUse([("gateway", heldPort), ("frontend", freePort)]);

            Assert.Equal([("gateway", heldPort)], busy);
        }
        finally
        {
            held.Stop();
        }
    }
}
