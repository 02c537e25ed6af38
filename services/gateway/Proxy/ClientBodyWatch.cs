namespace AgentSystem.Gateway.Proxy;

/// <summary>
/// The client's request body as the forwarder reads it, remembering whether a read is waiting for the client. The
/// forwarder's activity timeout ends the body copy and the wait for the service's answer together, and YARP names the
/// failure by whichever noticed first: under load mostly the service's silence (a 504), though nothing more of the body
/// came. A read still waiting when the request failed says it was the client's body the gateway waited for; a
/// service that stops reading holds the copy in its write to the service instead, with no read waiting.
/// </summary>
internal sealed class ClientBodyWatch(Stream client) : Stream
{
    private int _waitingReads;

    /// <summary>The body stopped with a read of it waiting: the gateway was waiting for the client, not the service.</summary>
    public bool WaitedForTheClient => Volatile.Read(ref _waitingReads) > 0;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _waitingReads);
        var read = await client.ReadAsync(buffer, cancellationToken);
        // Only a read that returned: one the timeout cancelled stays counted, the state the failure is judged by.
        Interlocked.Decrement(ref _waitingReads);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Kestrel refuses synchronous reads unless a server allows them; passed on so it still says so.
    public override int Read(byte[] buffer, int offset, int count) => client.Read(buffer, offset, count);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
