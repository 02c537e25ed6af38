using DotNet.Testcontainers.Builders;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>
/// The test assembly run as a program (`dotnet AgentSystem.Testing.Containers.Tests.dll hold`), so a test can kill a
/// whole process that holds containers: it starts Redis on a network of its own with a named volume, prints its
/// reaper session and waits to be killed.
/// </summary>
public static class Program
{
    public const string Hold = "hold";

    public static async Task<int> Main(string[] args)
    {
        if (args.FirstOrDefault() != Hold)
        {
            await Console.Error.WriteLineAsync($"usage: dotnet AgentSystem.Testing.Containers.Tests.dll {Hold}").ConfigureAwait(false);
            return 2;
        }

        var network = new NetworkBuilder().WithSessionCleanUp().Build();
        var volume = new VolumeBuilder().WithSessionCleanUp().Build();
        var redis = TestRedis.Builder().WithNetwork(network).WithVolumeMount(volume, "/data").Build();
        await ContainerStart.StartAsync(redis, TestRedis.Wait).ConfigureAwait(false);
        Console.WriteLine($"READY {SessionReaper.SessionId:D} {redis.Id}");
        await Console.Out.FlushAsync().ConfigureAwait(false);
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        return 0;
    }
}
