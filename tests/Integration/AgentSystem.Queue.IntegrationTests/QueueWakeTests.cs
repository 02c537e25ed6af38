using System.Diagnostics;
using System.Globalization;
using AgentSystem.Testing.Containers;
using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>WaitForWorkAsync: pub/sub wakes idle workers at once; without work it returns after its timeout.</summary>
public sealed class QueueWakeTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    // A wake-up is told from a timeout by a bound far below the timeout, not by a latency: a busy 2-core machine
    // delays a wake-up by a second or two, never by half a minute. The latencies are printed, not asserted.
    private static readonly TimeSpan LongTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan WokenWithin = TimeSpan.FromSeconds(15);

    private QueueTestContext _worker = null!;
    private QueueTestContext _orchestrator = null!;

    public async Task InitializeAsync()
    {
        _worker = await QueueTestContext.ConnectAsync(redis.Configuration);
        _orchestrator = await QueueTestContext.ConnectAsync(redis.Configuration);
    }

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        await _orchestrator.DisposeAsync();
    }

    [Fact]
    public async Task An_enqueue_from_another_process_wakes_a_waiting_worker_well_before_the_timeout()
    {
        var options = new QueueOptions { Prefix = RedisFixture.NewKeyPrefix(nameof(QueueWakeTests)) };
        var consumer = _worker.NewQueue(options);
        var producer = _orchestrator.NewQueue(options);
        await consumer.WaitForWorkAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None);   // subscribed from here on

        var latencies = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var waiting = consumer.WaitForWorkAsync(LongTimeout, CancellationToken.None);
            await Task.Delay(20);
            Assert.False(waiting.IsCompleted, "nothing was enqueued yet");
            var clock = Stopwatch.StartNew();
            await producer.EnqueueAsync([QueueTestContext.Job(i)], CancellationToken.None);
            await waiting;
            var woken = clock.Elapsed;
            var claimed = Assert.Single(await consumer.ClaimAsync(10, CancellationToken.None));
            var pickup = clock.Elapsed;
            await consumer.AckAsync([claimed], CancellationToken.None);
            latencies.Add(pickup.TotalMilliseconds);
            Assert.True(woken < WokenWithin, $"woken after {woken.TotalMilliseconds} ms of a {LongTimeout.TotalSeconds} s timeout");
        }

        latencies.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"enqueue-to-claim latency over {latencies.Count} wake-ups: median {latencies[latencies.Count / 2]:0.00} ms, max {latencies[^1]:0.00} ms"));
    }

    [Fact]
    public async Task Without_work_it_returns_after_the_timeout()
    {
        var queue = _worker.NewQueue(nameof(Without_work_it_returns_after_the_timeout));
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);

        var clock = Stopwatch.StartNew();
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(600), CancellationToken.None);

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(550), WokenWithin);
    }

    [Fact]
    public async Task A_notification_while_nobody_waits_is_kept_for_the_next_wait()
    {
        var queue = _worker.NewQueue(nameof(A_notification_while_nobody_waits_is_kept_for_the_next_wait));
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);

        await queue.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        await Task.Delay(200);   // the worker is busy draining: nobody waits when the message arrives

        var clock = Stopwatch.StartNew();
        await queue.WaitForWorkAsync(LongTimeout, CancellationToken.None);
        Assert.True(clock.Elapsed < WokenWithin, $"took {clock.Elapsed.TotalMilliseconds} ms of a {LongTimeout.TotalSeconds} s timeout");
    }

    [Fact]
    public async Task One_notification_wakes_every_claim_loop_of_the_process()
    {
        var queue = _worker.NewQueue(nameof(One_notification_wakes_every_claim_loop_of_the_process));
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);

        var waiting = Enumerable.Range(0, 4).Select(_ => queue.WaitForWorkAsync(LongTimeout, CancellationToken.None)).ToArray();
        await Task.Delay(50);
        var clock = Stopwatch.StartNew();
        await queue.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        await Task.WhenAll(waiting);

        Assert.True(clock.Elapsed < WokenWithin, $"took {clock.Elapsed.TotalMilliseconds} ms of a {LongTimeout.TotalSeconds} s timeout");
    }

    [Fact]
    public async Task A_cancelled_wait_throws()
    {
        var queue = _worker.NewQueue(nameof(A_cancelled_wait_throws));
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.WaitForWorkAsync(TimeSpan.FromSeconds(30), cancellation.Token));
    }

    [Fact]
    public async Task A_worker_that_first_waited_while_Redis_was_away_is_woken_by_enqueues_once_Redis_answers()
    {
        // Nothing listens on port 1: the forwarder accepts and drops every connection, as a Redis that is down.
        await using var forwarder = new TcpForwarder(1);
        var configuration = ConfigurationOptions.Parse(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{forwarder.Port},defaultDatabase={redis.Database}"));
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = 500;
        using var multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration);
        var options = new QueueOptions { Prefix = RedisFixture.NewKeyPrefix(nameof(QueueWakeTests)) };
        using var consumer = new RedisJobQueue(multiplexer, Options.Create(options), TimeProvider.System);
        var producer = _orchestrator.NewQueue(options);
        await consumer.WaitForWorkAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None);   // subscribing fails or hangs

        forwarder.Retarget(redis.Server.GetMappedPublicPort(RedisBuilder.RedisPort));
        var channel = RedisChannel.Literal(consumer.NotifyChannelName);
        var clock = Stopwatch.StartNew();
        while (multiplexer.GetSubscriber().SubscribedEndpoint(channel) is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the multiplexer did not subscribe after Redis came back");
            await Task.Delay(50);
        }

        // Drain the reconnect's own wake-up, then a real notification must wake a long wait.
        await consumer.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        await consumer.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        var waiting = consumer.WaitForWorkAsync(LongTimeout, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted, "nothing was enqueued yet");
        clock.Restart();
        await producer.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        await waiting;

        Assert.True(clock.Elapsed < WokenWithin, $"woken after {clock.Elapsed.TotalMilliseconds} ms of a {LongTimeout.TotalSeconds} s timeout");
    }
}
