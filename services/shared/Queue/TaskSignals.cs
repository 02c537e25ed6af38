using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentSystem.Queue;

public enum TaskSignal
{
    /// <summary>A task's or a job's row changed (committed): whoever shows the task reads it again.</summary>
    Changed,

    /// <summary>A task was cancelled (committed): workers stop its running jobs.</summary>
    Cancelled,
}

/// <summary>
/// Signals about tasks on Redis pub/sub, beside the queue (docs/queue.md, "Task signals"): ids published after a commit
/// in PostgreSQL, heard by every subscribed process. They are hints, never the truth: a message sent while a
/// subscriber's connection was down is lost, so subscribers read PostgreSQL again when told to resynchronise.
/// </summary>
public interface ITaskSignals
{
    /// <summary>Announces changed task or job ids, many to a message. Fire and forget: never waits, never throws.</summary>
    void Publish(TaskSignal signal, IReadOnlyCollection<Guid> ids);

    /// <summary>
    /// Calls <paramref name="onSignal"/> with every id published on <paramref name="signal"/>'s channel, and
    /// <paramref name="onResync"/> after the connection to Redis came back. Both run on Redis's threads: keep them short.
    /// The subscription holds until the returned handle is disposed; it is made again after every reconnect, also when
    /// Redis is away at first (this then returns at once and logs it).
    /// </summary>
    Task<IDisposable> SubscribeAsync(TaskSignal signal, Action<Guid> onSignal, Action onResync, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="ITaskSignals"/> on the process's multiplexer: channels "{prefix}task-changed" and "{prefix}task-cancelled",
/// each message up to <see cref="IdsPerMessage"/> ids separated by commas (a batch of results is one message, not one per job).
/// </summary>
public sealed partial class RedisTaskSignals(IConnectionMultiplexer redis, IOptions<QueueOptions> options, ILogger<RedisTaskSignals>? logger = null)
    : ITaskSignals
{
    /// <summary>Ids in one message at most: 256 ids are about 9 KB.</summary>
    public const int IdsPerMessage = 256;

    private const char Separator = ',';

    private static readonly TimeSpan SubscribeWait = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly string _prefix = options?.Value.Prefix ?? throw new ArgumentNullException(nameof(options));
    private int _publishFailing;

    public string ChannelName(TaskSignal signal) =>
        _prefix + (signal == TaskSignal.Cancelled ? "task-cancelled" : "task-changed");

    public void Publish(TaskSignal signal, IReadOnlyCollection<Guid> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        try
        {
            var channel = RedisChannel.Literal(ChannelName(signal));
            foreach (var chunk in ids.Chunk(IdsPerMessage))
            {
                redis.GetSubscriber().Publish(channel, string.Join(Separator, chunk), CommandFlags.FireAndForget);
            }

            Interlocked.Exchange(ref _publishFailing, 0);
        }
        catch (Exception error) when (error is RedisException or ObjectDisposedException or TimeoutException)
        {
            // Subscribers resynchronise from PostgreSQL: a lost signal costs latency, not correctness. Logged once per outage.
            if (Interlocked.Exchange(ref _publishFailing, 1) == 0)
            {
                LogPublishFailed(this._logger, error, ChannelName(signal));
            }
        }
    }

    public async Task<IDisposable> SubscribeAsync(TaskSignal signal, Action<Guid> onSignal, Action onResync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onSignal);
        ArgumentNullException.ThrowIfNull(onResync);

        var channel = RedisChannel.Literal(ChannelName(signal));
        var subscription = new Subscription(redis, channel, onSignal, onResync);
        try
        {
            await redis.GetSubscriber().SubscribeAsync(channel, subscription.OnMessage).WaitAsync(SubscribeWait, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is RedisException or TimeoutException)
        {
            // The multiplexer subscribes once Redis answers; the reconnect then calls onResync.
            LogSubscribeFailed(this._logger, error, channel.ToString());
        }

        return subscription;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing on {Channel} failed; subscribers catch up from PostgreSQL")]
    private static partial void LogPublishFailed(ILogger logger, Exception error, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to {Channel} yet; subscribed once Redis answers")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception error, string channel);

    private sealed class Subscription : IDisposable
    {
        private readonly IConnectionMultiplexer _redis;
        private readonly RedisChannel _channel;
        private readonly Action<Guid> _onSignal;
        private readonly ReconnectWatch _reconnects;
        private int _disposed;

        public Subscription(IConnectionMultiplexer redis, RedisChannel channel, Action<Guid> onSignal, Action onResync)
        {
            this._redis = redis;
            this._channel = channel;
            this._onSignal = onSignal;
            this._reconnects = new ReconnectWatch(redis, onResync);
        }

        public void OnMessage(RedisChannel _, RedisValue value)
        {
            var ids = value.ToString().AsSpan();
            foreach (var range in ids.Split(Separator))
            {
                if (Guid.TryParse(ids[range], out var id))
                {
                    _onSignal(id);
                }
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _reconnects.Dispose();
            try
            {
                _redis.GetSubscriber().Unsubscribe(_channel, OnMessage, CommandFlags.FireAndForget);
            }
            catch (Exception error) when (error is RedisException or ObjectDisposedException)
            {
                // The multiplexer is gone, and the subscription with it: a disposal never throws.
            }
        }
    }
}
