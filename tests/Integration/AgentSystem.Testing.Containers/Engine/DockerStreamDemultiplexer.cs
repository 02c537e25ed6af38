using System.Buffers.Binary;
using System.Text;

namespace AgentSystem.Testing.Containers.Engine;

/// <summary>
/// Splits Docker's multiplexed stream (logs and exec output of a container without a TTY): frames of an 8-byte header
/// [stream, 0, 0, 0, size as big-endian uint32] followed by size bytes, stream 1 = stdout, 2 = stderr (0, stdin, never comes back; counted as stdout).
/// </summary>
public static class DockerStreamDemultiplexer
{
    private const int HeaderSize = 8;
    private const byte StderrStream = 2;

    public static async Task<ContainerOutput> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Demultiplex(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public static ContainerOutput Demultiplex(ReadOnlySpan<byte> data)
    {
        if (!LooksMultiplexed(data))
        {
            // A TTY container (or an engine that did not multiplex) sends raw text: all of it is stdout.
            var raw = Encoding.UTF8.GetString(data);
            return new ContainerOutput(raw, string.Empty, raw);
        }

        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var combined = new MemoryStream();
        while (data.Length >= HeaderSize)
        {
            var kind = data[0];
            var size = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data[4..HeaderSize]), (uint)(data.Length - HeaderSize));
            var payload = data.Slice(HeaderSize, size);
            (kind == StderrStream ? stderr : stdout).Write(payload);
            combined.Write(payload);
            data = data[(HeaderSize + size)..];
        }

        return new ContainerOutput(Text(stdout), Text(stderr), Text(combined));
    }

    private static bool LooksMultiplexed(ReadOnlySpan<byte> data) =>
        data.Length >= HeaderSize && data[0] <= StderrStream && data[1] == 0 && data[2] == 0 && data[3] == 0;

    private static string Text(MemoryStream stream) =>
        Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
}
