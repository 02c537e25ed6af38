namespace AgentSystem.Worker.Handlers;

/// <summary>
/// The job's input can never succeed (not a number, out of range, rejected by the service it is sent to): the job
/// fails at once, without retries. Any other exception fails only the attempt, and the job is retried.
/// </summary>
public sealed class JobInputException : Exception
{
    public JobInputException()
    {
    }

    public JobInputException(string message)
        : base(message)
    {
    }

    public JobInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
