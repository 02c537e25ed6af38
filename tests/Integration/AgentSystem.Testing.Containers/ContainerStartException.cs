namespace AgentSystem.Testing.Containers;

/// <summary>A container did not become ready; the message names the wait and quotes the container's last log lines.</summary>
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
}
