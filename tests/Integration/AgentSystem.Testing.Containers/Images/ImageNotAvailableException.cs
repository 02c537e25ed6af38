namespace AgentSystem.Testing.Containers.Images;

/// <summary>An image is neither on this machine nor pullable; the message says what to run.</summary>
public sealed class ImageNotAvailableException : Exception
{
    public const string Remedy = "no registry reachable and no local image: run ./build.sh BaseImages";

    public ImageNotAvailableException()
    {
    }

    public ImageNotAvailableException(string message)
        : base(message)
    {
    }

    public ImageNotAvailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
