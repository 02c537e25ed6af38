using System.Net;
using System.Reflection;
using StackExchange.Redis;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>The multiplexer's connection events as it raises them around a restart, without a server.</summary>
public sealed class ReconnectWatchTests
{
    private int _calls;

    [Fact]
    public void Each_lost_connection_calls_back_when_it_is_back_so_a_late_subscription_connection_still_wakes()
    {
        var watch = NewWatch();

        watch.OnConnectionFailed(null, Event(ConnectionType.Interactive));
        watch.OnConnectionFailed(null, Event(ConnectionType.Subscription));
        watch.OnConnectionRestored(null, Event(ConnectionType.Interactive));
        Assert.Equal(1, _calls);

        // Messages published between the two returns were missed: the subscription's return must call back again.
        watch.OnConnectionRestored(null, Event(ConnectionType.Subscription));
        Assert.Equal(2, _calls);
    }

    [Fact]
    public void A_connection_completed_without_a_failure_before_it_does_not_call_back()
    {
        var watch = NewWatch();

        watch.OnConnectionRestored(null, Event(ConnectionType.Subscription));
        watch.OnConnectionFailed(null, Event(ConnectionType.Interactive));
        watch.OnConnectionRestored(null, Event(ConnectionType.Subscription));

        Assert.Equal(0, _calls);
    }

    [Fact]
    public void A_connection_that_fails_twice_before_it_is_back_calls_back_once()
    {
        var watch = NewWatch();

        watch.OnConnectionFailed(null, Event(ConnectionType.Subscription));
        watch.OnConnectionFailed(null, Event(ConnectionType.Subscription));
        watch.OnConnectionRestored(null, Event(ConnectionType.Subscription));
        watch.OnConnectionRestored(null, Event(ConnectionType.Subscription));

        Assert.Equal(1, _calls);
    }

    [Fact]
    public void A_watch_made_while_disconnected_calls_back_when_the_connections_are_back()
    {
        var watch = NewWatch(connected: false);

        watch.OnConnectionRestored(null, Event(ConnectionType.Interactive));
        watch.OnConnectionRestored(null, Event(ConnectionType.Subscription));

        Assert.Equal(2, _calls);
    }

    private ReconnectWatch NewWatch(bool connected = true)
    {
        var redis = DispatchProxy.Create<IConnectionMultiplexer, Inert>();
        ((Inert)(object)redis).Connected = connected;
        return new(redis, () => _calls++);
    }

    private static ConnectionFailedEventArgs Event(ConnectionType type) =>
        new(new object(), new IPEndPoint(IPAddress.Loopback, 6379), type, ConnectionFailureType.SocketClosed, new IOException("closed"), "test");

    /// <summary>A multiplexer that takes the watch's handlers and does nothing: the tests raise the events themselves.</summary>
    public class Inert : DispatchProxy
    {
        public bool Connected { get; set; } = true;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == "get_IsConnected" ? Connected : null;
    }
}
