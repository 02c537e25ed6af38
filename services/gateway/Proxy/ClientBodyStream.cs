using System.IO.Pipelines;
using AgentSystem.ServiceDefaults;

namespace AgentSystem.Gateway.Proxy;

/// <summary>
/// The client's request body as the forwarder reads it, read from Kestrel's pipe, remembering whether a read is waiting
/// for the client. The forwarder's activity timeout ends the body copy and the wait for the service's answer together,
/// and YARP names the failure by whichever noticed first: under load mostly the service's silence (a 504), though
/// nothing more of the body came. A read still waiting when the request failed says it was the client's body the
/// gateway waited for; a service that stops reading holds the copy in its write to the service instead.
/// </summary>
public sealed class ClientBodyStream(PipeReader client) : Stream
{
    private int _waitingReads;

    /// <summary>A read of the body was waiting for the client when the request ended.</summary>
    public bool WaitedForTheClient => Volatile.Read(ref _waitingReads) > 0;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _waitingReads);
        // A read the timeout cancelled throws and stays counted as waiting: the state the failure is judged by.
        var read = await RequestBodyReads.ReadAsync(client, buffer, cancellationToken);
        Interlocked.Decrement(ref _waitingReads);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Kestrel refuses synchronous reads of a body, and the forwarder makes none.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The request body is read asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
