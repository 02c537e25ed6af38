using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Security;

/// <summary>
/// Counts failed API keys per client address (<see cref="ClientAddress.Key"/>): a token bucket of
/// <see cref="AuthFailureLimitOptions.Failures"/>, refilled evenly over <see cref="AuthFailureLimitOptions.Window"/>.
/// An address whose bucket is empty is refused, whatever key it sends, until a failure is forgiven.
/// </summary>
/// <remarks>
/// Memory is bounded: at most <see cref="AuthFailureLimitOptions.MaxClients"/> addresses are tracked. When that many
/// are, the addresses that have nothing left to forgive are dropped (at most once a second); if none has, a new
/// address is not tracked (its failures are plain 401s) and that is logged. Only an attacker with that many
/// addresses gets there, and no legitimate client is refused for it.
/// </remarks>
public sealed partial class AuthFailureLimiter(IOptions<GatewayOptions> options, TimeProvider time, ILogger<AuthFailureLimiter> logger)
{
    private readonly AuthFailureLimitOptions _limit = options.Value.AuthFailureLimit;
    private readonly ConcurrentDictionary<string, Bucket> _clients = new(StringComparer.Ordinal);
    private readonly Lock _pruning = new();
    private long? _lastPrune;

    /// <summary>How many addresses are tracked now.</summary>
    public int TrackedClients => _clients.Count;

    /// <summary>How long <paramref name="address"/> must wait before its next attempt; null when it may try now.</summary>
    public TimeSpan? RetryAfter(IPAddress? address)
    {
        if (!_clients.TryGetValue(ClientAddress.Key(address), out var bucket))
        {
            return null;
        }

        lock (bucket)
        {
            Refill(bucket);
            return bucket.Tokens >= 1 ? null : PerToken * (1 - bucket.Tokens);
        }
    }

    /// <summary>Counts a failed key from <paramref name="address"/>.</summary>
    public void Failed(IPAddress? address)
    {
        var key = ClientAddress.Key(address);
        if (!_clients.TryGetValue(key, out var bucket))
        {
            if (_clients.Count >= _limit.MaxClients && !Prune())
            {
                return;
            }

            bucket = _clients.GetOrAdd(key, _ => new Bucket(_limit.Failures, time.GetTimestamp()));
        }

        lock (bucket)
        {
            Refill(bucket);
            bucket.Tokens = Math.Max(0, bucket.Tokens - 1);
            if (bucket.Tokens < 1)
            {
                LogBlocked(logger, key, _limit.Failures, _limit.Window);
            }
        }
    }

    private TimeSpan PerToken => _limit.Window / _limit.Failures;

    private void Refill(Bucket bucket)
    {
        var now = time.GetTimestamp();
        bucket.Tokens = Math.Min(_limit.Failures, bucket.Tokens + (time.GetElapsedTime(bucket.Updated, now) / PerToken));
        bucket.Updated = now;
    }

    // Drops the addresses whose buckets are full again; true when there is room now.
    private bool Prune()
    {
        lock (_pruning)
        {
            if (_clients.Count < _limit.MaxClients)
            {
                return true;
            }

            if (_lastPrune is { } last && time.GetElapsedTime(last) < TimeSpan.FromSeconds(1))
            {
                return false;
            }

            _lastPrune = time.GetTimestamp();
            foreach (var (key, bucket) in _clients)
            {
                lock (bucket)
                {
                    Refill(bucket);
                    if (bucket.Tokens >= _limit.Failures)
                    {
                        _clients.TryRemove(key, out _);
                    }
                }
            }

            if (_clients.Count < _limit.MaxClients)
            {
                return true;
            }

            LogTableFull(logger, _limit.MaxClients);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Client {Client} is refused for a while: more than {Failures} failed API keys within {Window}")]
    private static partial void LogBlocked(ILogger logger, string client, int failures, TimeSpan window);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed API keys are tracked for {MaxClients} client addresses already; a new one is not limited")]
    private static partial void LogTableFull(ILogger logger, int maxClients);

    private sealed class Bucket(double tokens, long updated)
    {
        public double Tokens { get; set; } = tokens;

        public long Updated { get; set; } = updated;
    }
}
