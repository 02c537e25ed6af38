using System.Buffers.Binary;
using System.Text;
using DotNet.Testcontainers.Containers;
using Npgsql;
using Testcontainers.PostgreSql;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// Ready when PostgreSQL answers a startup packet with an authentication request, as pg_isready checks (libpq's
/// PQping): Testcontainers' UntilDatabaseIsAvailable logs in through Npgsql, which on a busy machine noticed a ready
/// server 0.4-1 s later than this. The server listens on TCP only after its init scripts, and one still starting
/// answers an error ("the database system is starting up"), which is not ready. The connection is then closed, which
/// the server takes quietly.
/// </summary>
internal sealed class PostgresPing : ProtocolPing
{
    private const int ProtocolVersion3 = 196608;
    private const byte AuthenticationRequest = (byte)'R';

    protected override int ContainerPort => PostgreSqlBuilder.PostgreSqlPort;

    protected override int ReplyLength => 1;

    protected override bool IsReady(ReadOnlySpan<byte> reply) => reply[0] == AuthenticationRequest;

    /// <summary>Length, protocol 3.0, then "user", "database" and their values, each NUL-terminated, and a final NUL.</summary>
    protected override byte[] Request(IContainer container)
    {
        var settings = new NpgsqlConnectionStringBuilder(((IDatabaseContainer)container).GetConnectionString());
        var parameters = Encoding.UTF8.GetBytes($"user\0{settings.Username ?? "postgres"}\0database\0{settings.Database ?? "postgres"}\0\0");
        var packet = new byte[8 + parameters.Length];
        BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), ProtocolVersion3);
        parameters.CopyTo(packet, 8);
        return packet;
    }
}
