using StackExchange.Redis;

namespace AgentSystem.Queue;

/// <summary>
/// Calls back when a connection the multiplexer had lost is back. The interactive and the subscription connection
/// fail and reconnect on their own: pub/sub messages are missed until the subscription connection is back, which can
/// be seconds after commands work again, so each connection's return calls back, not only the first.
/// Only after a failure: the multiplexer also reports connections it completes after ConnectAsync returned. A watch
/// made while the multiplexer is disconnected (a subscription made during an outage) counts both connections as lost.
/// </summary>
internal sealed class ReconnectWatch : IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly Action _onRestored;
    private int _lost;

    public ReconnectWatch(IConnectionMultiplexer redis, Action onRestored)
    {
        _redis = redis;
        _onRestored = onRestored;
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        if (!redis.IsConnected)
        {
            Interlocked.Or(ref _lost, Bit(ConnectionType.Interactive) | Bit(ConnectionType.Subscription));
        }
    }

    public void Dispose()
    {
        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
    }

    internal void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) => Interlocked.Or(ref _lost, Bit(e.ConnectionType));

    internal void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        var bit = Bit(e.ConnectionType);
        if ((Interlocked.And(ref _lost, ~bit) & bit) != 0)
        {
            _onRestored();
        }
    }

    private static int Bit(ConnectionType type) => 1 << (int)type;
}
