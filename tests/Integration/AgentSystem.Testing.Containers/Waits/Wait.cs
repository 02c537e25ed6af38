using System.Net;

namespace AgentSystem.Testing.Containers.Waits;

/// <summary>Factory of wait strategies, as in Testcontainers: <c>Wait.ForCommand("redis-cli", "ping")</c>.</summary>
public static class Wait
{
    public static PortWaitStrategy ForPort(int containerPort, bool checkInsideContainer = false) => new(containerPort, checkInsideContainer);

    public static LogMessageWaitStrategy ForLogMessage(string pattern, int times = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        return new LogMessageWaitStrategy(pattern, times);
    }

    public static CommandWaitStrategy ForCommand(params string[] command) => ForCommand(command, expectedOutput: null);

    public static CommandWaitStrategy ForCommand(IReadOnlyList<string> command, string? expectedOutput)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new ArgumentException("A command wait needs a command.", nameof(command));
        }

        return new CommandWaitStrategy(command, expectedOutput);
    }

    public static HttpWaitStrategy ForHttp(int containerPort, string path = "/", HttpStatusCode expectedStatus = HttpStatusCode.OK)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new HttpWaitStrategy(containerPort, path.StartsWith('/') ? path : "/" + path, expectedStatus);
    }

    public static PredicateWaitStrategy Until(string description, Func<DockerContainer, CancellationToken, Task<bool>> condition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(condition);
        return new PredicateWaitStrategy(description, condition);
    }
}
