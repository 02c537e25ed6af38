using System.Diagnostics.Metrics;
using AgentSystem.Queue;

namespace AgentSystem.Worker.Services;

/// <summary>
/// The queue's depth from <see cref="IJobQueue.GetStatsAsync"/>, cached for <see cref="CacheFor"/> so that scrapes of
/// many workers cost Redis one round trip a second each at most. Also the <c>agentsystem.worker.queue.depth</c> gauge.
/// </summary>
public sealed partial class QueueDepthMonitor : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    private readonly IJobQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<QueueDepthMonitor> _logger;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private QueueDepth? _last;
    private long _lastAt;
    private bool _hasValue;

    public QueueDepthMonitor(IJobQueue queue, WorkerMetrics metrics, TimeProvider time, ILogger<QueueDepthMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);

        _queue = queue;
        _time = time;
        _logger = logger;
        metrics.Meter.CreateObservableGauge("agentsystem.worker.queue.depth", Observe, "{job}", $"Jobs in the queue by state (cached about 1 s); dead: the dead-letter list, which keeps the newest {RedisJobQueue.DeadLettersKept}");
    }

    /// <summary>The cached depth when it is fresh, else asks Redis; null when Redis does not answer.</summary>
    public async Task<QueueDepth?> GetAsync(CancellationToken cancellationToken)
    {
        if (IsFresh())
        {
            return _last;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (IsFresh())
            {
                return _last;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(AskTimeout);
            try
            {
                var stats = await _queue.GetStatsAsync(timeout.Token);
                _last = new QueueDepth(stats.Queued, stats.Processing, stats.DeadLettered);
            }
            catch (Exception error) when (!cancellationToken.IsCancellationRequested)
            {
                LogStatsFailed(_logger, error);
                _last = null;
            }

            _lastAt = _time.GetTimestamp();
            _hasValue = true;
            return _last;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    private bool IsFresh() => _hasValue && _time.GetElapsedTime(_lastAt) < CacheFor;

    // Gauges are read synchronously: report the cached value and refresh it in the background when stale.
    private IEnumerable<Measurement<long>> Observe()
    {
        if (!IsFresh())
        {
            _ = GetAsync(CancellationToken.None);
        }

        if (_last is not { } depth)
        {
            return [];
        }

        return
        [
            new Measurement<long>(depth.Queued, new KeyValuePair<string, object?>("state", "queued")),
            new Measurement<long>(depth.Processing, new KeyValuePair<string, object?>("state", "processing")),
            new Measurement<long>(depth.DeadLettered, new KeyValuePair<string, object?>("state", "dead")),
        ];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Queue statistics unavailable")]
    private static partial void LogStatsFailed(ILogger logger, Exception error);
}
