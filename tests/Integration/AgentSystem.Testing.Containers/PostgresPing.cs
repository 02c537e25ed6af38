using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Npgsql;
using Testcontainers.PostgreSql;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// Ready when PostgreSQL answers a startup packet on its published port with an authentication request, as pg_isready
/// checks (libpq's PQping), but from the test process: the module's wait runs pg_isready inside the container, a docker
/// exec per check, and Testcontainers' UntilDatabaseIsAvailable logs in through Npgsql, which on a busy machine
/// noticed a ready server 0.4-1 s later than this. The server listens on TCP only after its init scripts, and one
/// still starting answers an error ("the database system is starting up"), which is not ready. The connection is then
/// closed, which the server takes quietly.
/// </summary>
internal sealed class PostgresPing : IWaitUntil
{
    /// <summary>Bound of one check: Docker's port proxy accepts at once and closes when nothing listens behind it.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);

    private const int ProtocolVersion3 = 196608;
    private const byte AuthenticationRequest = (byte)'R';

    public async Task<bool> UntilAsync(IContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var settings = new NpgsqlConnectionStringBuilder(((IDatabaseContainer)container).GetConnectionString());
        using var attempt = new CancellationTokenSource(AttemptTimeout);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(container.Hostname, container.GetMappedPublicPort(PostgreSqlBuilder.PostgreSqlPort), attempt.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync(StartupPacket(settings.Username ?? "postgres", settings.Database ?? "postgres"), attempt.Token).ConfigureAwait(false);
            var reply = new byte[1];
            var read = await stream.ReadAtLeastAsync(reply, 1, throwOnEndOfStream: false, attempt.Token).ConfigureAwait(false);
            return read == 1 && reply[0] == AuthenticationRequest;
        }
        catch (Exception exception) when (exception is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Length, protocol 3.0, then "user", "database" and their values, each NUL-terminated, and a final NUL.</summary>
    private static byte[] StartupPacket(string user, string database)
    {
        var parameters = Encoding.UTF8.GetBytes($"user\0{user}\0database\0{database}\0\0");
        var packet = new byte[8 + parameters.Length];
        BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), ProtocolVersion3);
        parameters.CopyTo(packet, 8);
        return packet;
    }
}
