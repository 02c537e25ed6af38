using System.Net.Sockets;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// A wait that speaks the server's protocol from the test process to the published port: one request, ready when the
/// first bytes of the reply are the right ones. The modules' waits run a client inside the container instead, a docker
/// exec per check (create, start, inspect), which was most of a start on a busy engine.
/// </summary>
internal abstract class ProtocolPing : IWaitUntil
{
    /// <summary>Bound of one check: a port proxy (docker-proxy, where the engine runs one) accepts at once and closes when nothing listens behind it.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);

    protected abstract int ContainerPort { get; }

    /// <summary>How many bytes of the reply <see cref="IsReady"/> needs.</summary>
    protected abstract int ReplyLength { get; }

    protected abstract byte[] Request(IContainer container);

    protected abstract bool IsReady(ReadOnlySpan<byte> reply);

    public async Task<bool> UntilAsync(IContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        using var attempt = new CancellationTokenSource(AttemptTimeout);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(container.Hostname, container.GetMappedPublicPort(ContainerPort), attempt.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync(Request(container), attempt.Token).ConfigureAwait(false);
            var reply = new byte[ReplyLength];
            var read = await stream.ReadAtLeastAsync(reply, reply.Length, throwOnEndOfStream: false, attempt.Token).ConfigureAwait(false);
            return read == reply.Length && IsReady(reply);
        }
        catch (Exception exception) when (exception is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
