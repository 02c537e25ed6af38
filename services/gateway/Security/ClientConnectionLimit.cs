using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Security;

/// <summary>
/// At most <see cref="GatewayOptions.MaxConnectionsPerClient"/> connections open at once from one client address (its
/// <see cref="ClientAddress.Key"/>), as Kestrel's connection middleware: one beyond it is closed before a byte is read.
/// A trusted proxy's connections carry many clients and are left to the whole gateway's limit.
/// </summary>
public sealed partial class ClientConnectionLimit(IOptions<GatewayOptions> options, ILogger<ClientConnectionLimit> logger)
{
    private readonly int _max = options.Value.MaxConnectionsPerClient;
    private readonly IReadOnlyList<IPNetwork> _trusted = options.Value.TrustedNetworks();
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Connections open now from <paramref name="address"/>'s client.</summary>
    public int OpenFrom(IPAddress address)
    {
        lock (_lock)
        {
            return _open.GetValueOrDefault(ClientAddress.Key(address));
        }
    }

    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (address is null || IsTrusted(address))
        {
            await next(connection);
            return;
        }

        var client = ClientAddress.Key(address);
        if (!TryOpen(client))
        {
            LogRefused(logger, client, _max);
            return;   // Kestrel closes the connection when its delegate returns.
        }

        try
        {
            await next(connection);
        }
        finally
        {
            Close(client);
        }
    };

    // Both forms of an IPv4-mapped address, as ForwardedHeaders compares them: an entry may be written either way.
    private bool IsTrusted(IPAddress address) =>
        _trusted.Any(network => network.Contains(address) || (address.IsIPv4MappedToIPv6 && network.Contains(address.MapToIPv4())));

    private bool TryOpen(string client)
    {
        lock (_lock)
        {
            var open = _open.GetValueOrDefault(client);
            if (open >= _max)
            {
                return false;
            }

            _open[client] = open + 1;
            return true;
        }
    }

    private void Close(string client)
    {
        lock (_lock)
        {
            var open = _open[client] - 1;
            if (open == 0)
            {
                _open.Remove(client);
            }
            else
            {
                _open[client] = open;
            }
        }
    }

    // Debug, and Kestrel's own refusals past the whole gateway's limit are kept out of the log (appsettings.json): a flood
    // of connections must not become a flood of log lines. Kestrel counts its own in kestrel.rejected_connections.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {Client} closed: it has {Max} open, the most one client may")]
    private static partial void LogRefused(ILogger logger, string client, int max);
}
