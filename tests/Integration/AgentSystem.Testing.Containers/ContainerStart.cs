using System.Diagnostics;
using System.Globalization;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// Starts a Testcontainers container, records its start-to-ready time (<see cref="ContainerTimings"/>), and when it
/// does not become ready, fails with what Testcontainers leaves out: which wait it was, the container's state and its
/// last log lines. The failed container is removed.
/// </summary>
public static class ContainerStart
{
    /// <summary>Log lines quoted in a start failure.</summary>
    public const int FailureLogLines = 40;

    public static async Task<T> StartAsync<T>(T container, string waitingFor, CancellationToken cancellationToken = default)
        where T : IContainer
    {
        ArgumentNullException.ThrowIfNull(container);
        var endpoint = TestcontainersSettings.OS.DockerEndpointAuthConfig.Endpoint;
        if (!Loopback.Reaches(endpoint))
        {
            throw new ContainerStartException($"The Docker engine at {endpoint} is on another machine: the tests publish every container's ports on " +
                "127.0.0.1, which there is that machine's loopback, out of this one's reach. Run the tests where the engine runs, or point DOCKER_HOST at an engine on this machine.");
        }

        // The session's reaper first, timed on a row of its own.
        await SessionReaper.EnsureStartedAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        try
        {
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            var failure = await DescribeAsync(container, waitingFor, watch.Elapsed, exception).ConfigureAwait(false);
            await container.DisposeAsync().ConfigureAwait(false);
            throw new ContainerStartException(failure, exception);
        }

        ContainerTimings.Record(container.Image.FullName, container.Name.TrimStart('/'), watch.Elapsed);
        return container;
    }

    private static async Task<string> DescribeAsync(IContainer container, string waitingFor, TimeSpan elapsed, Exception exception)
    {
        var seconds = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        // Testcontainers' own message may quote the logs too (a container that exited): its first line is enough here.
        var what = exception is TimeoutException ? "timed out" : exception.Message.Split('\n')[0].Trim().TrimEnd('.');
        var text = $"Container {Safe(() => container.Name.TrimStart('/'))} (image {container.Image.FullName}) was not ready after {seconds} s waiting for {waitingFor}: {what}.";
        try
        {
            var exitCode = container.State == TestcontainersStates.Exited ? $", exit code {await container.GetExitCodeAsync().ConfigureAwait(false)}" : "";
            var (stdout, stderr) = await container.GetLogsAsync(timestampsEnabled: false).ConfigureAwait(false);
            var lines = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(FailureLogLines).ToList();
            text += $" State: {container.State}{exitCode}.";
            text += lines.Count == 0 ? " The container logged nothing." : $" Last {lines.Count} log line(s):\n  | " + string.Join("\n  | ", lines);
        }
        catch (Exception logs) when (logs is not OutOfMemoryException)
        {
            text += $" (its logs could not be read: {logs.Message})";
        }

        return text;
    }

    private static string Safe(Func<string> read)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException)
        {
            return "(not created)";
        }
    }
}
