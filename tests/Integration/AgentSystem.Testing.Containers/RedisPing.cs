using System.Net.Sockets;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Testcontainers.Redis;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// Ready when Redis answers PING with PONG on its published port: the protocol the tests speak, from the test process.
/// The module's wait runs redis-cli inside the container, a docker exec per check (create, start, inspect), which was
/// most of a start on a busy engine. A server still loading its AOF answers -LOADING, which is not ready.
/// </summary>
internal sealed class RedisPing : IWaitUntil
{
    /// <summary>Bound of one check: Docker's port proxy accepts at once and closes when nothing listens behind it.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);

    public async Task<bool> UntilAsync(IContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        using var attempt = new CancellationTokenSource(AttemptTimeout);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(container.Hostname, container.GetMappedPublicPort(RedisBuilder.RedisPort), attempt.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), attempt.Token).ConfigureAwait(false);
            var reply = new byte["+PONG\r\n".Length];
            var read = await stream.ReadAtLeastAsync(reply, reply.Length, throwOnEndOfStream: false, attempt.Token).ConfigureAwait(false);
            return reply.AsSpan(0, read).SequenceEqual("+PONG\r\n"u8);
        }
        catch (Exception exception) when (exception is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
