using System.Net;

namespace AgentSystem.Testing.Containers.Engine;

/// <summary>The engine answered, but with an error (the message is the engine's own).</summary>
public sealed class DockerApiException : Exception
{
    public DockerApiException()
    {
    }

    public DockerApiException(string message)
        : base(message)
    {
    }

    public DockerApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DockerApiException(HttpStatusCode statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    public HttpStatusCode? StatusCode { get; }
}
