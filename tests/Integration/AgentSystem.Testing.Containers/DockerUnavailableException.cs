using AgentSystem.Testing.Containers.Engine;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// No Docker engine answers. Thrown from the first use (and again, at once, on every later use) with one line that
/// says what to do. The socket error is kept in <see cref="Detail"/>, not as an inner exception, because test runners
/// print every inner exception with its stack: the pile of socket errors this type exists to replace.
/// </summary>
public sealed class DockerUnavailableException : Exception
{
    /// <summary>What the user should do; the build provisions an engine itself only as root on Debian/Ubuntu.</summary>
    public const string Remedy = "start Docker, or on Debian/Ubuntu as root run ./build.sh DockerEngine";

    public DockerUnavailableException()
    {
    }

    public DockerUnavailableException(string message)
        : base(message)
    {
    }

    public DockerUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The underlying error, e.g. "HttpRequestException: Connection refused (docker.sock:80)".</summary>
    public string? Detail { get; private init; }

    public static DockerUnavailableException NotAnswering(DockerEndpoint endpoint, Exception? cause) =>
        new($"No Docker engine answers at {endpoint}: {Remedy}") { Detail = Describe(cause) };

    public static DockerUnavailableException PermissionDenied(DockerEndpoint endpoint, Exception? cause) =>
        new($"The Docker engine at {endpoint} refused this user (permission denied): add the user to the 'docker' group " +
            "(then log in again) or run as root") { Detail = Describe(cause) };

    private static string? Describe(Exception? cause) => cause is null ? null : $"{cause.GetType().Name}: {cause.Message}";
}
