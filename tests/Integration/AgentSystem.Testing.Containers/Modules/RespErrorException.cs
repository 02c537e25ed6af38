namespace AgentSystem.Testing.Containers.Modules;

/// <summary>Redis answered with an error reply (the text is Redis' own, e.g. "ERR DB index is out of range").</summary>
public sealed class RespErrorException : Exception
{
    public RespErrorException()
    {
    }

    public RespErrorException(string message)
        : base(message)
    {
    }

    public RespErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
