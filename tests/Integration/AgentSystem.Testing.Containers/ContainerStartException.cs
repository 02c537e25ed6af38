using System.Globalization;
using System.Text;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// A container did not become ready: its wait timed out, it exited, or the engine refused to start it. The message
/// says what was awaited, for how long, the container's state and its last log lines, so the test output alone
/// explains the failure.
/// </summary>
public sealed class ContainerStartException : Exception
{
    public ContainerStartException()
    {
    }

    public ContainerStartException(string message)
        : base(message)
    {
    }

    public ContainerStartException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    private ContainerStartException(string message, Exception? innerException, string containerName, string image,
        string waitingFor, TimeSpan elapsed, ContainerState state, IReadOnlyList<string> logLines)
        : base(message, innerException)
    {
        ContainerName = containerName;
        Image = image;
        WaitingFor = waitingFor;
        Elapsed = elapsed;
        State = state;
        LogLines = logLines;
    }

    public string? ContainerName { get; }

    public string? Image { get; }

    /// <summary>The wait strategy (or step) that was not satisfied.</summary>
    public string? WaitingFor { get; }

    public TimeSpan Elapsed { get; }

    public ContainerState? State { get; }

    public IReadOnlyList<string> LogLines { get; } = [];

    internal static ContainerStartException Create(
        string containerName, string image, string waitingFor, TimeSpan elapsed, ContainerState state,
        string? lastCheck, IReadOnlyList<string> logLines, Exception? innerException)
    {
        var seconds = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        if (innerException is not null && lastCheck is null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Container {containerName} (image {image}) could not be started after {seconds} s ({waitingFor}): {innerException.Message.TrimEnd('.')}.");
            if (state.Error is { } error && innerException.Message.Contains(error, StringComparison.Ordinal))
            {
                state = state with { Error = null }; // said once is enough
            }
        }
        else if (state.Running)
        {
            text.Append(CultureInfo.InvariantCulture, $"Container {containerName} (image {image}) was not ready after {seconds} s: timed out waiting for {waitingFor}.");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"Container {containerName} (image {image}) stopped after {seconds} s while waiting for {waitingFor}.");
        }

        text.Append(CultureInfo.InvariantCulture, $" State: {state}.");
        if (lastCheck is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $" Last check: {lastCheck.Trim()}.");
        }

        if (logLines.Count == 0)
        {
            text.Append(" The container logged nothing.");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $" Last {logLines.Count} log line(s):");
            foreach (var line in logLines)
            {
                text.Append("\n  | ").Append(line);
            }
        }

        return new ContainerStartException(text.ToString(), innerException, containerName, image, waitingFor, elapsed, state, logLines);
    }
}
