using DotNet.Testcontainers.Containers;
using Testcontainers.Redis;

namespace AgentSystem.Testing.Containers;

/// <summary>Ready when Redis answers PING with PONG; a server still loading its AOF answers -LOADING, which is not ready.</summary>
internal sealed class RedisPing : ProtocolPing
{
    protected override int ContainerPort => RedisBuilder.RedisPort;

    protected override int ReplyLength => "+PONG\r\n".Length;

    protected override byte[] Request(IContainer container) => "PING\r\n"u8.ToArray();

    protected override bool IsReady(ReadOnlySpan<byte> reply) => reply.SequenceEqual("+PONG\r\n"u8);
}
