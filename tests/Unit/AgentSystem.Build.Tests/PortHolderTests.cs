using AgentSystem.Build.Docker;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build.Tests;

/// <summary>helper-102: another clone's Dev run held the ports, and Dev and SystemUp took it for a system or "another program".</summary>
public sealed class PortHolderTests : IDisposable
{
    private readonly string _checkout = Directory.CreateTempSubdirectory("holder-").FullName;

    public void Dispose() => Directory.Delete(_checkout, recursive: true);

    [Fact]
    public void The_holder_of_a_listening_port_is_this_process_with_its_directory()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;

        var holder = PortHolder.Of(port);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(holder);   // /proc is Linux's: the messages fall back to the command that names the holder
            return;
        }

        Assert.NotNull(holder);
        Assert.Equal(Environment.ProcessId, holder.Pid);
        Assert.Equal(Environment.CurrentDirectory, holder.Directory);
        listener.Stop();
        Assert.Null(PortHolder.Of(port));
    }

    /// <summary>Dev marks the processes it starts; the marker is read from the holder's environment.</summary>
    [Fact]
    public void A_process_dev_started_is_known_by_its_environment()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var holder = HolderOfAListener(PortHolder.DevRunValue("gateway", Environment.ProcessId, _checkout));

        Assert.Equal((_checkout, "gateway", Environment.ProcessId), holder.DevRun());
    }

    /// <summary>helper-125: any process can carry the marker; one whose named build is not its ancestor is no Dev run's.</summary>
    [Fact]
    public void A_marker_naming_a_build_that_did_not_start_the_process_is_not_believed()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var other = System.Diagnostics.Process.Start("sleep", "30");
        try
        {
            Assert.Null(HolderOfAListener(PortHolder.DevRunValue("gateway", other.Id, _checkout)).DevRun());
        }
        finally
        {
            other.Kill();
        }
    }

    /// <summary>
    /// helper-125's case: another user's process, whose marker names a build that is its ancestor (as pid 1 is every
    /// process's). Runs only as root (to start a process as another user: CI's machines run as root) with setpriv.
    /// </summary>
    [Fact]
    public void A_marker_on_another_users_process_is_not_believed()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
        {
            return;
        }

        var holder = HolderOfAListener(PortHolder.DevRunValue("gateway", Environment.ProcessId, _checkout), "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");

        Assert.Null(holder.DevRun());
    }

    /// <summary>The holder of a port node listens on, started (through <paramref name="wrapper"/>, if any) with the marker given.</summary>
    private static PortHolder HolderOfAListener(string marker, params string[] wrapper)
    {
        var port = FreePort();
        string[] command = [.. wrapper, "node", "-e", $"require('net').createServer().listen({port}, '127.0.0.1')"];
        using var node = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(command[0], command[1..])
        {
            Environment = { [PortHolder.DevRunVariable] = marker },
        })!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (LocalPorts.CanListen(port) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }

            var holder = PortHolder.Of(port);
            Assert.NotNull(holder);
            Assert.Equal(node.Id, holder.Pid);
            return holder;
        }
        finally
        {
            node.Kill();
        }
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Fact]
    public void A_table_row_counts_only_when_it_listens_on_that_port()
    {
        var table = Path.Combine(_checkout, "tcp");
        File.WriteAllLines(table, [
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0",
            "   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 5151 1 0 100 0 0 10 0",
            "   2: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6161 1 0 100 0 0 10 0",
        ]);

        Assert.Equal(["4242"], PortHolder.ListeningSockets(table, 8080));
    }

    [Fact]
    public void A_dev_run_is_named_with_its_checkout_and_service_and_its_own_checkouts_is_offered_for_use()
    {
        var gateway = new PortHolder(4321, "dotnet AgentSystem.Gateway.dll", $"{_checkout}/services/gateway/bin/Debug/net10.0", PortHolder.DevRunValue("gateway", 4000, _checkout));
        var frontend = new PortHolder(99, "node server.mjs", $"{_checkout}/services/frontend", PortHolder.DevRunValue("frontend", 4000, _checkout));
        // helper-103: npm start in services/frontend is no Dev run (no gateway behind its page); nor is a process in /services/x.
        var npm = new PortHolder(98, "node vite", $"{_checkout}/services/frontend");

        Assert.Equal((_checkout, "gateway", 4000), gateway.DevRun());
        Assert.Equal((_checkout, "frontend", 4000), frontend.DevRun());
        Assert.Null(npm.DevRun());
        Assert.Null(new PortHolder(7, "python3 -m http.server", "/services/x").DevRun());
        Assert.Equal($"It is pid 98: node vite, in {_checkout}/services/frontend: stop it if it is yours.", Build.PortHolderAdvice(npm, 3000, _checkout));
        Assert.Equal($"It is a Dev run from another checkout ({_checkout}; its gateway, pid 4321): stop it there (Ctrl+C where it runs, or kill 4000, its build) if it is yours.",
            Build.PortHolderAdvice(gateway, 8080, "/work/elsewhere"));
        Assert.Equal("It is this checkout's Dev run (its frontend, pid 99): use it, or stop it (Ctrl+C where it runs, or kill 4000, its build).",
            Build.PortHolderAdvice(frontend, 3000, _checkout));
        Assert.Equal("It is pid 7: python3 -m http.server, in /tmp: stop it if it is yours.",
            Build.PortHolderAdvice(new PortHolder(7, "python3 -m http.server", "/tmp"), 8080, _checkout));
    }

    [Fact]
    public void System_up_names_the_dev_run_holding_its_port()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var dev = new PortHolder(4321, "dotnet AgentSystem.Gateway.dll", $"{_checkout}/services/gateway/bin/Debug/net10.0", PortHolder.DevRunValue("gateway", 4000, _checkout));

        var problem = Build.PortsTakenProblem(new SystemSettings(port, 0, "k"), [], System.Net.IPAddress.Loopback, _ => null, "/work/elsewhere", _ => dev);

        Assert.Contains($"already, so nothing was started. It is a Dev run from another checkout ({_checkout}; its gateway, pid 4321)", problem, StringComparison.Ordinal);
        Assert.Contains("Or publish elsewhere: --system-gateway-port N (0: any free port).", problem, StringComparison.Ordinal);
    }
}
