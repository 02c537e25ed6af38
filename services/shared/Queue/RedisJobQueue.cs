using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSystem.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentSystem.Queue;

/// <summary>
/// <see cref="IJobQueue"/> on Redis with StackExchange.Redis (docs/queue.md): a list of waiting messages per client
/// with a ring of the clients that have some (each claim takes from them in turn), a sorted set of leases scored by deadline, a set of known job ids for idempotent enqueue, a dead-letter list, and a
/// sorted set of idle waiters, each woken on its own pub/sub channel, one per enqueue. Every operation is one round trip: a Lua script where it must be atomic.
/// Leases are judged by the Redis server's clock (see <see cref="QueueScripts"/>); <see cref="JobMessage.EnqueuedAt"/>
/// is the enqueuing process's clock, for pickup latency only.
/// </summary>
public sealed partial class RedisJobQueue : IJobQueue, IDisposable
{
    /// <summary>
    /// The dead-letter list keeps the newest this many: it shows what failed (every dead job's row in PostgreSQL stays
    /// <c>dead</c>), and unbounded, a client whose jobs kept failing filled Redis with them (helper-64).
    /// </summary>
    public const int DeadLettersKept = 1000;

    /// <summary>Longer error texts are cut: a dead letter keeps the start of a stack trace, not all of it.</summary>
    public const int MaxErrorLength = 4_000;

    private readonly IConnectionMultiplexer _redis;
    private readonly QueueOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisKey[] _enqueueKeys;
    private readonly RedisKey[] _claimKeys;
    private readonly RedisKey[] _ackKeys;
    private readonly RedisKey[] _settleKeys;
    private readonly RedisKey[] _waitKeys;
    private readonly RedisKey[] _leaseKeys;
    private readonly RedisKey _knownKey;
    private readonly RedisKey _idleKey;
    private readonly RedisKey[] _statsKeys;
    private readonly RedisKey[] _buryKeys;
    private readonly RedisKey _deadKey;
    private readonly RedisChannel _notifyChannel;
    private readonly RedisValue _notifyName;
    private readonly RedisValue _leaseMilliseconds;
    private readonly AsyncSignal _signal = new();
    private readonly Action<RedisChannel, RedisValue> _onNotify;
    private readonly ReconnectWatch _reconnects;
    private readonly Lock _subscribeGate = new();
    private Task? _subscription;
    private int _disposed;
    private int _subscribeFailureLogged;

    public RedisJobQueue(IConnectionMultiplexer redis, IOptions<QueueOptions> options, TimeProvider time, ILogger<RedisJobQueue>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        this._redis = redis;
        this._options = options.Value;
        this._time = time;
        this._logger = (ILogger?)logger ?? NullLogger.Instance;

        var prefix = this._options.Prefix;
        RedisKey queue = prefix + "queue", processing = prefix + "processing", known = prefix + "known", dead = prefix + "dead";
        RedisKey idle = prefix + "idle", ready = prefix + "ready";
        _enqueueKeys = [queue, known, idle, ready];
        _claimKeys = [queue, processing, idle, ready];
        _ackKeys = [processing, known];
        _settleKeys = [queue, processing, known, dead, idle, ready];
        _waitKeys = [queue, idle, ready];
        _idleKey = idle;
        _leaseKeys = [processing, known];
        _knownKey = known;
        _statsKeys = [queue, processing, dead, ready];
        _buryKeys = [processing, dead];
        _deadKey = dead;
        NotifyChannelName = prefix + "notify:" + Guid.NewGuid().ToString("N");
        _notifyName = NotifyChannelName;
        _notifyChannel = RedisChannel.Literal(NotifyChannelName);
        _leaseMilliseconds = (long)this._options.VisibilityTimeout.TotalMilliseconds;

        _onNotify = (_, _) => _signal.Set();
        // Messages published while a connection was down are gone: assume there is work.
        _reconnects = new ReconnectWatch(redis, _signal.Set);
    }

    /// <summary>This queue's own wake-up channel ("{prefix}notify:{random id}"): an enqueue publishes to one idle waiter's.</summary>
    public string NotifyChannelName { get; }

    public async Task<int> EnqueueAsync(IReadOnlyCollection<JobMessage> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        cancellationToken.ThrowIfCancellationRequested();
        if (jobs.Count == 0)
        {
            return 0;
        }

        var enqueuedAt = _time.GetUtcNow();
        var pushed = await Task.WhenAll(jobs.Chunk(IJobQueue.MaxBatch).Select(chunk =>
        {
            // Per client: its name, its count, then its (job id, message) pairs; in the order given within a client.
            var byClient = chunk.GroupBy(job => (job ?? throw new ArgumentNullException(nameof(jobs))).Client ?? "", StringComparer.Ordinal).ToList();
            var arguments = new RedisValue[2 * chunk.Length + 2 * byClient.Count];
            var i = 0;
            foreach (var client in byClient)
            {
                arguments[i++] = client.Key;
                arguments[i++] = client.Count();
                foreach (var job in client)
                {
                    arguments[i++] = Id(job.JobId);
                    arguments[i++] = Serialize(job with { EnqueuedAt = enqueuedAt });
                }
            }

            return EvaluateAsync(QueueScripts.Enqueue, _enqueueKeys, arguments);
        })).WaitAsync(cancellationToken).ConfigureAwait(false);
        return pushed.Sum(result => (int)result);
    }

    public Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int max, CancellationToken cancellationToken) => ClaimAsync(max, int.MaxValue, cancellationToken);

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int max, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        cancellationToken.ThrowIfCancellationRequested();

        // Not abandoned on cancellation once sent: the popped messages are leased by then, and a caller that stopped
        // listening would leave them to the reclaimer (a delay of one visibility timeout, not a loss).
        var result = (RedisResult[])(await EvaluateAsync(QueueScripts.Claim, _claimKeys, [Math.Min(max, IJobQueue.MaxBatch), _leaseMilliseconds, _notifyName, maxBytes]).ConfigureAwait(false))!;
        if (result.Length <= 1)
        {
            return [];
        }

        var deadline = DateTimeOffset.FromUnixTimeMilliseconds((long)result[0]);
        var claimed = new List<ClaimedJob>(result.Length - 1);
        for (var i = 1; i < result.Length; i++)
        {
            var raw = (string)result[i]!;
            if (TryDeserialize(raw) is { } message)
            {
                claimed.Add(new ClaimedJob(message, raw, deadline));
            }
            else
            {
                // A message this code cannot read would fail every worker forever: set it aside with the raw text.
                LogUnreadable(_logger, raw.Length);
                await EvaluateAsync(QueueScripts.Bury, _buryKeys, [raw, "unreadable message", DeadLettersKept]).ConfigureAwait(false);
            }
        }

        return claimed;
    }

    public async Task<int> AckAsync(IReadOnlyCollection<ClaimedJob> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        cancellationToken.ThrowIfCancellationRequested();
        if (jobs.Count == 0)
        {
            return 0;
        }

        var held = await Task.WhenAll(jobs.Chunk(IJobQueue.MaxBatch).Select(async chunk =>
        {
            var arguments = new RedisValue[2 * chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                arguments[2 * i] = chunk[i].Raw;
                arguments[(2 * i) + 1] = Id(chunk[i].Message.JobId);
            }

            var flags = (RedisResult[])(await EvaluateAsync(QueueScripts.Ack, _ackKeys, arguments).ConfigureAwait(false))!;
            var count = 0;
            for (var i = 0; i < chunk.Length; i++)
            {
                if ((long)flags[i] == 1)
                {
                    count++;
                }
                else
                {
                    LogLeaseLost(_logger, "ack", chunk[i].Message.JobId, chunk[i].Message.Attempt);
                }
            }

            return count;
        })).WaitAsync(cancellationToken).ConfigureAwait(false);
        return held.Sum();
    }

    public async Task<NackOutcome> NackAsync(ClaimedJob job, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        cancellationToken.ThrowIfCancellationRequested();

        // The same rule as the reclaimer's, so when the lease was already lost (the reclaimer requeued or buried the
        // job), the outcome still says what happened to it.
        var final = job.Message.Attempt >= _options.MaxAttempts;
        RedisValue requeued = final
            ? RedisValue.EmptyString
            : Serialize(job.Message with { Attempt = job.Message.Attempt + 1, EnqueuedAt = _time.GetUtcNow() });
        var error = string.IsNullOrEmpty(reason) ? "failed" : reason.Length <= MaxErrorLength ? reason : reason[..MaxErrorLength];

        var held = (long)await EvaluateAsync(
                QueueScripts.Nack, _settleKeys, [job.Raw, Id(job.Message.JobId), requeued, error, final ? 1 : 0, job.Message.Client ?? "", DeadLettersKept])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if (held == 0)
        {
            LogLeaseLost(_logger, "nack", job.Message.JobId, job.Message.Attempt);
        }

        return final ? NackOutcome.DeadLettered : NackOutcome.Requeued;
    }

    public async Task<IReadOnlyList<ClaimedJob>> RenewAsync(IReadOnlyCollection<ClaimedJob> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        cancellationToken.ThrowIfCancellationRequested();
        if (jobs.Count == 0)
        {
            return [];
        }

        var lost = await Task.WhenAll(jobs.Chunk(IJobQueue.MaxBatch).Select(async chunk =>
        {
            var arguments = new RedisValue[1 + chunk.Length];
            arguments[0] = _leaseMilliseconds;
            for (var i = 0; i < chunk.Length; i++)
            {
                arguments[i + 1] = chunk[i].Raw;
            }

            var result = (RedisResult[])(await EvaluateAsync(QueueScripts.Renew, _leaseKeys, arguments).ConfigureAwait(false))!;
            return result.Skip(1).Select(position => chunk[(int)position - 1]);
        })).WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. lost.SelectMany(chunk => chunk)];
    }

    public async Task<ReclaimResult> ReclaimExpiredAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RedisValue enqueuedAt = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        var result = (RedisResult[])(await EvaluateAsync(
                QueueScripts.Reclaim, _settleKeys, [_options.MaxAttempts, _options.ReclaimBatchSize, enqueuedAt, DeadLettersKept])
            .WaitAsync(cancellationToken).ConfigureAwait(false))!;
        var deadLetters = new List<JobMessage>(result.Length - 2);
        for (var i = 2; i < result.Length; i++)
        {
            if (TryDeserialize((string)result[i]!) is { } message)
            {
                deadLetters.Add(message);
            }
        }

        return new ReclaimResult((int)result[0], (int)result[1]) { DeadLetters = deadLetters };
    }

    public async Task<IReadOnlySet<Guid>> FindKnownAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        cancellationToken.ThrowIfCancellationRequested();
        if (jobIds.Count == 0)
        {
            return new HashSet<Guid>();
        }

        var ids = jobIds.ToArray();
        var found = await _redis.GetDatabase().SetContainsAsync(_knownKey, Array.ConvertAll(ids, id => (RedisValue)Id(id)))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var known = new HashSet<Guid>();
        for (var i = 0; i < ids.Length; i++)
        {
            if (found[i])
            {
                known.Add(ids[i]);
            }
        }

        return known;
    }

    public async Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = (RedisResult[])(await EvaluateAsync(QueueScripts.Stats, _statsKeys, []).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        return new QueueStats((long)result[0], (long)result[1], (long)result[2]);
    }

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        cancellationToken.ThrowIfCancellationRequested();
        if (max == 0)
        {
            return [];
        }

        var entries = await _redis.GetDatabase().ListRangeAsync(_deadKey, 0, max - 1).WaitAsync(cancellationToken).ConfigureAwait(false);
        var letters = new List<DeadLetter>(entries.Length);
        foreach (var entry in entries)
        {
            // Entries without a readable message ("raw") count in the stats but are not DeadLetters.
            if (TryDeserializeDeadLetter(entry!) is { Message: { } message } letter)
            {
                letters.Add(new DeadLetter(message, letter.Error ?? string.Empty, DateTimeOffset.FromUnixTimeMilliseconds(letter.At)));
            }
        }

        return letters;
    }

    /// <summary>
    /// Registers this queue as an idle waiter until <paramref name="timeout"/> (unless jobs are already waiting: then it
    /// returns at once), and returns when an enqueue wakes it (an enqueue wakes one idle waiter, not all), after a
    /// reconnect (wake-ups may have been missed meanwhile), or when the timeout passes. A wake-up that arrived since the
    /// last wait counts, and wakes every waiter of this queue. It is a hint, not a promise: claim, and wait again on a
    /// short claim. A claim ends the registration, which the waiters of one queue share: run one claim loop per queue.
    /// A cancelled wait ends it too.
    /// </summary>
    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var started = _time.GetTimestamp();
        var subscribed = Subscribe();
        if (!subscribed.IsCompletedSuccessfully)
        {
            try
            {
                await subscribed.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (!subscribed.IsCompleted)
            {
                return;
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                // Redis is away. The multiplexer subscribes once it answers, so register all the same: until then a
                // wake-up finds no subscriber here and goes to the next waiter, and the reconnect sets the signal.
                if (Interlocked.Exchange(ref _subscribeFailureLogged, 1) == 0)
                {
                    LogSubscribeFailed(_logger, exception, NotifyChannelName);
                }
            }
        }

        try
        {
            await RegisterAndWaitAsync(timeout - _time.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // A stopping worker stays subscribed a while: a wake-up sent to it now would be lost.
            Unregister();
            throw;
        }
    }

    private async Task RegisterAndWaitAsync(TimeSpan remaining, CancellationToken cancellationToken)
    {
        // In the signal before registering, so that a wake-up answering the registration finds this waiter there.
        var signalled = _signal.WaitAsync(remaining, _time, cancellationToken);
        try
        {
            var milliseconds = Math.Max(1, (long)remaining.TotalMilliseconds);
            var wait = EvaluateAsync(QueueScripts.Wait, _waitKeys, [_notifyName, milliseconds]);
            if ((long)await wait.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time, cancellationToken).ConfigureAwait(false) == 1)
            {
                // Jobs are queued already: end the wait as their wake-up would. Not by cancelling it: a busy worker
                // finds jobs here dozens of times a second, and each cancellation threw twice (docs/load-history.md). A wait
                // that ended already (a kept wake-up, its timeout) is not set again: the next wait would not wait.
                if (!signalled.IsCompleted)
                {
                    _signal.Set();
                }
            }
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Not registered, so no enqueue wakes this waiter: the timeout (or a reconnect) does.
        }

        await signalled.ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _reconnects.Dispose();
        lock (_subscribeGate)
        {
            if (_subscription is not null)
            {
                Unregister();
                _redis.GetSubscriber().Unsubscribe(_notifyChannel, _onNotify, CommandFlags.FireAndForget);
            }
        }
    }

    private void Unregister() => _redis.GetDatabase().SortedSetRemove(_idleKey, _notifyName, CommandFlags.FireAndForget);

    // Once per queue: the multiplexer keeps the subscription and makes it again after every reconnect, also when this
    // first attempt fails (a second SubscribeAsync would add the handler twice).
    private Task Subscribe()
    {
        lock (_subscribeGate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            return _subscription ??= _redis.GetSubscriber().SubscribeAsync(_notifyChannel, _onNotify);
        }
    }

    /// <summary>
    /// Runs a script: SE.Redis loads it once per server and then sends only its SHA; after a restart or SCRIPT FLUSH
    /// (NOSCRIPT, nothing ran) it sends the script again by itself.
    /// </summary>
    private Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values) =>
        _redis.GetDatabase().ScriptEvaluateAsync(script, keys, values);

    private static string Id(Guid id) => id.ToString("D");

    // Relaxed escaping: the default writes '<', '&' and every character beyond ASCII as six bytes, which a message in
    // Redis, never embedded in a page, need not spend (an input of 64 KiB of '<' made a message of 384 KiB).
    private static readonly JsonTypeInfo<JobMessage> MessageJson = (JsonTypeInfo<JobMessage>)new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = QueueJsonContext.Default,
    }.GetTypeInfo(typeof(JobMessage));

    private static string Serialize(JobMessage message) => JsonSerializer.Serialize(message, MessageJson);

    private static JobMessage? TryDeserialize(string raw)
    {
        try
        {
            return JsonSerializer.Deserialize(raw, QueueJsonContext.Default.JobMessage) is { Type: not null, Input: not null } message ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static DeadLetterEntry? TryDeserializeDeadLetter(string raw)
    {
        try
        {
            return JsonSerializer.Deserialize(raw, QueueJsonContext.Default.DeadLetterEntry);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease of job {JobId} (attempt {Attempt}) was lost before {Operation}: it was reclaimed meanwhile")]
    private static partial void LogLeaseLost(ILogger logger, string operation, Guid jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "A claimed message of {Length} characters is not a job message: moved to the dead-letter list")]
    private static partial void LogUnreadable(ILogger logger, int length);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to {Channel}; falling back to polling until Redis answers")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception, string channel);
}
