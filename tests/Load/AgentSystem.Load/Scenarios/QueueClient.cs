using AgentSystem.Queue;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace AgentSystem.Load.Scenarios;

/// <summary>The project's queue client wired as the services wire it (<c>AddJobQueue</c>: one multiplexer per process), on a key prefix.</summary>
internal sealed class QueueClient : IAsyncDisposable
{
    private readonly IHost _host;

    private QueueClient(IHost host, string prefix)
    {
        this._host = host;
        Prefix = prefix;
        Queue = host.Services.GetRequiredService<IJobQueue>();
        Signals = host.Services.GetRequiredService<ITaskSignals>();
    }

    public IJobQueue Queue { get; }

    /// <summary>The task signals on the same prefix (what the workers announce).</summary>
    public ITaskSignals Signals { get; }

    public string Prefix { get; }

    /// <summary>A queue on keys of its own ("agentsystem-load:{guid}:..."), which no worker reads.</summary>
    public static Task<QueueClient> StartIsolatedAsync(string redis, CancellationToken cancellationToken) =>
        StartAsync(redis, $"agentsystem-load:{Guid.NewGuid():N}:", cancellationToken);

    /// <summary>Deletes every key under the prefix (after a scenario that left jobs behind).</summary>
    public async Task DeleteKeysAsync(CancellationToken cancellationToken)
    {
        var redis = _host.Services.GetRequiredService<IConnectionMultiplexer>();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: Prefix + "*").WithCancellation(cancellationToken))
        {
            keys.Add(key);
        }

        if (keys.Count > 0)
        {
            await redis.GetDatabase().KeyDeleteAsync([.. keys]);
        }
    }

    public static async Task<QueueClient> StartAsync(string redis, string prefix, CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // A loaded machine can stall one call past the 5 s default; a load run measures, it does not time out.
            [QueueServiceExtensions.RedisConfigurationKey] = redis + ",asyncTimeout=30000",
            [$"{QueueOptions.SectionName}:{nameof(QueueOptions.Prefix)}"] = prefix,
        });
        builder.AddJobQueue();
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new QueueClient(host, prefix);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
