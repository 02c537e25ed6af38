using AgentSystem.Contracts;
using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>A multiplexer on the class's Redis database and queues with key prefixes of their own, one per test.</summary>
public sealed class QueueTestContext : IAsyncDisposable
{
    private readonly List<RedisJobQueue> _queues = [];

    private QueueTestContext(ConnectionMultiplexer redis) => Redis = redis;

    public ConnectionMultiplexer Redis { get; }

    public static async Task<QueueTestContext> ConnectAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        return new QueueTestContext(await ConnectionMultiplexer.ConnectAsync(options));
    }

    public RedisJobQueue NewQueue(string testName, TimeSpan? visibilityTimeout = null, int maxAttempts = 3, int reclaimBatchSize = 500) =>
        NewQueue(new QueueOptions
        {
            Prefix = RedisFixture.NewKeyPrefix(testName),
            VisibilityTimeout = visibilityTimeout ?? TimeSpan.FromSeconds(30),
            MaxAttempts = maxAttempts,
            ReclaimBatchSize = reclaimBatchSize,
        });

    public RedisJobQueue NewQueue(QueueOptions options)
    {
        var queue = new RedisJobQueue(Redis, Options.Create(options), TimeProvider.System, NullLogger<RedisJobQueue>.Instance);
        _queues.Add(queue);
        return queue;
    }

    public static JobMessage Job(int n = 0, string? input = null, Guid? taskId = null, string? traceParent = null) =>
        new(Guid.NewGuid(), taskId ?? Guid.NewGuid(), JobTypes.Echo, input ?? $"job {n}", 1, traceParent);

    public static List<JobMessage> Jobs(int count, Guid? taskId = null)
    {
        var task = taskId ?? Guid.NewGuid();
        return [.. Enumerable.Range(0, count).Select(i => Job(i, taskId: task))];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }

        await Redis.CloseAsync(allowCommandsToComplete: false);
        Redis.Dispose();
    }
}
