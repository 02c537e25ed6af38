using AgentSystem.Testing.Containers.Images;
using AgentSystem.Testing.Containers.Sessions;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>
/// The test assembly run as a program (`dotnet AgentSystem.Testing.Containers.Tests.dll MODE`), so tests can observe a
/// whole process's life: killed while holding containers, exiting without disposing, or with no engine at all.
/// </summary>
public static class Program
{
    public const string Hold = "hold";
    public const string Leave = "leave";
    public const string DisposeAll = "dispose";
    public const string Connect = "connect";

    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case Hold:
                // Start, report, and wait to be killed.
                await StartAndReportAsync().ConfigureAwait(false);
                await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
                return 0;
            case Leave:
                // Start, report, and exit without disposing: the session's exit clean-up must remove it all.
                await StartAndReportAsync().ConfigureAwait(false);
                return 0;
            case DisposeAll:
                return await DisposeAndCountAsync().ConfigureAwait(false);
            case Connect:
                return await ConnectTwiceAsync().ConfigureAwait(false);
            default:
                await Console.Error.WriteLineAsync($"usage: dotnet AgentSystem.Testing.Containers.Tests.dll {Hold}|{Leave}|{DisposeAll}|{Connect}").ConfigureAwait(false);
                return 2;
        }
    }

    private static async Task<(DockerContainer Container, DockerNetwork Network)> StartAsync()
    {
        var network = await new NetworkBuilder().CreateAsync().ConfigureAwait(false);
        var container = await new ContainerBuilder(KnownImages.Debian)
            .WithCommand("sleep", "infinity")
            .WithNetwork(network, "held")
            .WithVolume("/data")
            .StartAsync()
            .ConfigureAwait(false);
        return (container, network);
    }

    private static async Task StartAndReportAsync()
    {
        var (container, network) = await StartAsync().ConfigureAwait(false);
        Console.WriteLine($"READY {container.Id} {network.Id} {container.Volumes[0]} {TestSession.Current.Id:D}");
        await Console.Out.FlushAsync().ConfigureAwait(false);
    }

    private static async Task<int> DisposeAndCountAsync()
    {
        var (container, network) = await StartAsync().ConfigureAwait(false);
        await container.DisposeAsync().ConfigureAwait(false);
        await network.DisposeAsync().ConfigureAwait(false);
        var environment = await DockerEnvironment.GetAsync().ConfigureAwait(false);
        string[] filter = [TestSession.Current.Filter];
        var containers = await environment.Client.ListContainersAsync(filter, CancellationToken.None).ConfigureAwait(false);
        var networks = await environment.Client.ListNetworksAsync(filter, CancellationToken.None).ConfigureAwait(false);
        var volumes = await environment.Client.ListVolumesAsync(filter, CancellationToken.None).ConfigureAwait(false);
        Console.WriteLine($"LEFT {containers.Count} {networks.Count} {volumes.Count} {TestSession.Current.Id:D}");
        return 0;
    }

    private static async Task<int> ConnectTwiceAsync()
    {
        var messages = new List<string>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                await using var container = await new ContainerBuilder(KnownImages.Debian).WithCommand("true").StartAsync().ConfigureAwait(false);
                Console.WriteLine("CONNECTED");
                return 0;
            }
            catch (DockerUnavailableException ex)
            {
                messages.Add(ex.Message);
            }
        }

        // The same one-line message both times: the first failure is kept, not retried into a pile of socket errors.
        foreach (var message in messages)
        {
            Console.WriteLine($"UNAVAILABLE {message}");
        }

        return 3;
    }
}
