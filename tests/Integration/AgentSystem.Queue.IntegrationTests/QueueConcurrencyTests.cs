using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AgentSystem.Contracts;
using AgentSystem.Testing.Containers.Fixtures;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>Claimers racing on one queue never share a job; and a rough throughput figure for the record.</summary>
public sealed class QueueConcurrencyTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private QueueTestContext _first = null!;
    private QueueTestContext _second = null!;

    public async Task InitializeAsync()
    {
        _first = await QueueTestContext.ConnectAsync(redis.Configuration);
        _second = await QueueTestContext.ConnectAsync(redis.Configuration);
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task Parallel_claimers_on_two_connections_get_each_of_1000_jobs_exactly_once()
    {
        var options = new QueueOptions { Prefix = RedisFixture.NewKeyPrefix(nameof(QueueConcurrencyTests)) };
        var queues = new[] { _first.NewQueue(options), _second.NewQueue(options) };
        var jobs = Enumerable.Range(0, 10).SelectMany(_ => QueueTestContext.Jobs(100)).ToList();   // 10 tasks of 100 jobs

        // Producers and claimers at the same time: the claimers start before everything is enqueued.
        var producing = Task.Run(async () =>
        {
            foreach (var batch in jobs.Chunk(50))
            {
                await queues[0].EnqueueAsync(batch, CancellationToken.None);
            }
        });
        var claims = new ConcurrentBag<ClaimedJob>();
        var claimers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var queue = queues[i % 2];
            var size = 1 + (i * 3);
            // Until the producer is done and the queue is drained: counting empty claims instead stopped every claimer
            // after a quarter of a second without work, which a stalled producer on a busy machine can take.
            while (true)
            {
                var done = producing.IsCompleted;
                var claimed = await queue.ClaimAsync(size, CancellationToken.None);
                foreach (var job in claimed)
                {
                    claims.Add(job);
                }

                if (claimed.Count == 0)
                {
                    if (done)
                    {
                        break;
                    }

                    await Task.Delay(10);
                }
            }
        })).ToArray();
        await producing;
        await Task.WhenAll(claimers);

        var counts = claims.GroupBy(c => c.Message.JobId).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(jobs.Count, claims.Count);
        Assert.All(jobs, job => Assert.Equal(1, counts.GetValueOrDefault(job.JobId)));
        Assert.Equal(new QueueStats(0, jobs.Count, 0), await queues[0].GetStatsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Throughput_of_batched_enqueue_claim_and_ack_is_recorded()
    {
        const int Total = 20_000;
        const int Batch = 100;
        var queue = _first.NewQueue(nameof(Throughput_of_batched_enqueue_claim_and_ack_is_recorded));
        var jobs = QueueTestContext.Jobs(Total);

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(jobs.Chunk(Total / 4).Select(part => Task.Run(async () =>
        {
            foreach (var batch in part.Chunk(Batch))
            {
                await queue.EnqueueAsync(batch, CancellationToken.None);
            }
        })));
        var enqueued = clock.Elapsed;

        clock.Restart();
        var seen = new ConcurrentDictionary<Guid, byte>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (await queue.ClaimAsync(Batch, CancellationToken.None) is { Count: > 0 } claimed)
            {
                foreach (var job in claimed)
                {
                    Assert.True(seen.TryAdd(job.Message.JobId, 0));
                }
            }
        })));
        var claimedIn = clock.Elapsed;

        clock.Restart();
        var sample = new List<ClaimedJob>();
        await queue.EnqueueAsync(QueueTestContext.Jobs(2_000), CancellationToken.None);
        while (await queue.ClaimAsync(Batch, CancellationToken.None) is { Count: > 0 } claimed)
        {
            sample.AddRange(claimed);
        }

        clock.Restart();
        await Task.WhenAll(sample.Chunk(sample.Count / 8).Select(part => Task.Run(async () =>
        {
            foreach (var job in part)
            {
                await queue.AckAsync([job], CancellationToken.None);
            }
        })));
        var acked = clock.Elapsed;

        Assert.Equal(Total, seen.Count);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"enqueue {Total / enqueued.TotalSeconds:N0} jobs/s (batches of {Batch}, 4 producers); claim {Total / claimedIn.TotalSeconds:N0} jobs/s (batches of {Batch}, 4 claimers); ack {sample.Count / acked.TotalSeconds:N0} jobs/s (one per call, 8 concurrent)"));
    }
}
