using System.Diagnostics;
using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Instrumentation.StackExchangeRedis;
using OpenTelemetry.Trace;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>AddJobQueue traces the queue's Redis commands as client spans of whatever sent them.</summary>
public sealed class QueueTracingTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly TimeSpan ExportWait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task An_enqueue_inside_a_span_is_exported_as_a_Redis_client_span_of_it()
    {
        using var source = new ActivitySource(nameof(QueueTracingTests));
        var exported = new List<Activity>();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = redis.Configuration,
            ["Queue:Prefix"] = RedisFixture.NewKeyPrefix(nameof(QueueTracingTests)),
        });
        builder.AddJobQueue();
        // The profiler's sessions are drained on an interval (10 s by default); shorter here, to keep the test quick.
        builder.Services.Configure<StackExchangeRedisInstrumentationOptions>(options => options.FlushInterval = TimeSpan.FromMilliseconds(100));
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(source.Name).AddInMemoryExporter(exported));
        using var host = builder.Build();
        await host.StartAsync();

        string parentSpan;
        using (var parent = source.StartActivity("submit"))
        {
            Assert.NotNull(parent);
            parentSpan = parent.SpanId.ToHexString();
            await host.Services.GetRequiredService<IJobQueue>().EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        }

        var redisSpan = await WaitForAsync(() => exported.ToArray().FirstOrDefault(a => a.Kind == ActivityKind.Client && a.ParentSpanId.ToHexString() == parentSpan));
        Assert.True(redisSpan is not null, $"no Redis client span under the parent within {ExportWait.TotalSeconds} s; exported: {string.Join(", ", exported.ToArray().Select(a => a.DisplayName))}");
        Assert.Equal("redis", redisSpan.GetTagItem("db.system")?.ToString());
        await host.StopAsync();
    }

    private static async Task<T?> WaitForAsync<T>(Func<T?> probe)
        where T : class
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < ExportWait)
        {
            if (probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        return null;
    }
}
