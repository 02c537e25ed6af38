using System.Collections.Concurrent;
using System.Globalization;

namespace AgentSystem.Testing.Containers.Fixtures;

/// <summary>
/// Hands out Redis database indexes 0-15 (Redis' default `databases 16`) to test classes, one at a time each, and
/// takes them back, so classes running in parallel never share keys.
/// </summary>
public static class RedisDatabasePool
{
    public const int DatabaseCount = 16;

    /// <summary>How long a class waits when every index is in use before it fails with a clear message.</summary>
    public static readonly TimeSpan RentTimeout = TimeSpan.FromMinutes(2);

    private static readonly SemaphoreSlim Available = new(DatabaseCount, DatabaseCount);
    private static readonly ConcurrentQueue<int> Free = new(Enumerable.Range(0, DatabaseCount));

    public static async Task<int> RentAsync(CancellationToken cancellationToken = default)
    {
        if (!await Available.WaitAsync(RentTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"All {DatabaseCount} Redis databases stayed in use by other test classes for {RentTimeout.TotalSeconds} s: a RedisFixture was not disposed, or more classes run at once than Redis has databases."));
        }

        return Free.TryDequeue(out var index) ? index : throw new InvalidOperationException("The Redis database pool lost track of its indexes.");
    }

    public static void Return(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, DatabaseCount);
        Free.Enqueue(index);
        Available.Release();
    }
}
