namespace AgentSystem.Testing.Containers.Waits;

/// <summary>
/// A readiness condition checked every <see cref="PollInterval"/> until it holds or <see cref="Timeout"/> (default:
/// the builder's startup timeout) runs out. Checks must be quick and side-effect free: the builder bounds each one.
/// </summary>
public abstract class WaitStrategy
{
    /// <summary>What is awaited, in words that complete "timed out waiting for ...".</summary>
    public abstract string Description { get; }

    /// <summary>This wait's own bound; null means the builder's startup timeout.</summary>
    public TimeSpan? Timeout { get; private set; }

    public TimeSpan PollInterval { get; private set; } = ContainerDefaults.PollInterval;

    public WaitStrategy WithTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        Timeout = timeout;
        return this;
    }

    public WaitStrategy WithPollInterval(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        PollInterval = interval;
        return this;
    }

    /// <summary>The published port the check connects to, if any, so the builder can refuse a port it does not publish.</summary>
    public virtual int? ContainerPort => null;

    public abstract Task<WaitCheck> CheckAsync(DockerContainer container, CancellationToken cancellationToken);

    public override string ToString() => Description;
}
