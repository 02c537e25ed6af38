using System.Diagnostics;
using System.Globalization;
using AgentSystem.Testing.Containers;
using AgentSystem.Testing.Containers.Fixtures;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>
/// WaitForWorkAsync: an enqueue wakes one idle waiter at once (on its own pub/sub channel), skipping waiters that are gone
/// or no longer waiting; without work a wait returns after its timeout.
/// </summary>
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
    public async Task Jobs_already_queued_end_the_wait_at_once_and_leave_no_wake_up_for_the_next()
    {
        var queue = _worker.NewQueue(nameof(Jobs_already_queued_end_the_wait_at_once_and_leave_no_wake_up_for_the_next));
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);   // subscribed from here on
        await Task.Delay(200);   // past that wait's registration, so that the enqueue sends no wake-up to be kept
        await queue.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);

        await WaitEndsAtOnceAndAfterTheClaimTheNextWaits(queue);
    }

    [Fact]
    public async Task A_kept_wake_up_that_finds_jobs_queued_is_used_once()
    {
        var options = NewOptions();
        var queue = _worker.NewQueue(options);
        var producer = _orchestrator.NewQueue(options);
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);   // subscribed from here on

        // A wake-up kept while nobody waits, and the job still queued when the next wait starts.
        await _worker.Redis.GetDatabase().SortedSetAddAsync(options.Prefix + "idle", queue.NotifyChannelName, DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        await producer.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        await Task.Delay(200);   // the wake-up delivered and kept

        // The wait consumes the kept wake-up and finds the job queued too: nothing is kept for the next.
        await WaitEndsAtOnceAndAfterTheClaimTheNextWaits(queue);
    }

    /// <summary>
    /// A wait with one job queued returns at once; once the job is claimed the queue is empty, and the next wait lasts
    /// its timeout (no wake-up was left behind by the first).
    /// </summary>
    private static async Task WaitEndsAtOnceAndAfterTheClaimTheNextWaits(RedisJobQueue queue)
    {
        var clock = Stopwatch.StartNew();
        await queue.WaitForWorkAsync(LongTimeout, CancellationToken.None);
        Assert.True(clock.Elapsed < WokenWithin, $"took {clock.Elapsed.TotalMilliseconds} ms of a {LongTimeout.TotalSeconds} s timeout");

        Assert.Single(await queue.ClaimAsync(10, CancellationToken.None));
        clock.Restart();
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(600), CancellationToken.None);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(550), WokenWithin);
    }

    [Fact]
    public async Task A_wake_up_while_nobody_waits_is_kept_for_the_next_wait()
    {
        var options = NewOptions();
        var queue = _worker.NewQueue(options);
        var producer = _orchestrator.NewQueue(options);
        await queue.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);

        // Registered for a minute while nobody waits (as when a wait returned on a reconnect): the wake-up finds no waiter.
        await _worker.Redis.GetDatabase().SortedSetAddAsync(options.Prefix + "idle", queue.NotifyChannelName, DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        await producer.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        Assert.Single(await producer.ClaimAsync(10, CancellationToken.None));   // the queue is empty again

        var clock = Stopwatch.StartNew();
        await queue.WaitForWorkAsync(LongTimeout, CancellationToken.None);
        Assert.True(clock.Elapsed < WokenWithin, $"took {clock.Elapsed.TotalMilliseconds} ms of a {LongTimeout.TotalSeconds} s timeout");
    }

    [Fact]
    public async Task An_enqueue_wakes_one_idle_worker_and_a_full_claim_that_leaves_jobs_wakes_the_next()
    {
        var options = NewOptions();
        var first = _worker.NewQueue(options);
        var second = _worker.NewQueue(options);
        var producer = _orchestrator.NewQueue(options);
        Task[] waiting = [first.WaitForWorkAsync(LongTimeout, CancellationToken.None), second.WaitForWorkAsync(LongTimeout, CancellationToken.None)];
        await IdleWaitersAsync(options, 2);

        await producer.EnqueueAsync(QueueTestContext.Jobs(10), CancellationToken.None);
        var woken = await Task.WhenAny(waiting).WaitAsync(WokenWithin);
        await Task.Delay(300);
        Assert.Equal(1, waiting.Count(wait => wait.IsCompleted));

        var claimer = woken == waiting[0] ? first : second;
        Assert.Equal(3, (await claimer.ClaimAsync(3, CancellationToken.None)).Count);   // took all it asked for, 7 left
        await Task.WhenAll(waiting).WaitAsync(WokenWithin);
    }

    [Fact]
    public async Task A_waiter_that_is_gone_or_no_longer_waiting_is_skipped()
    {
        var options = NewOptions();
        var idle = (RedisKey)(options.Prefix + "idle");
        var live = _worker.NewQueue(options);
        var late = _worker.NewQueue(options);
        var producer = _orchestrator.NewQueue(options);
        await late.WaitForWorkAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);   // subscribed from here on
        await _worker.Redis.GetDatabase().SortedSetAddAsync(idle, late.NotifyChannelName, 2);   // its wait ended in 1970
        await _worker.Redis.GetDatabase().SortedSetAddAsync(idle, options.Prefix + "notify:gone", 1);   // nobody subscribed
        var waiting = live.WaitForWorkAsync(LongTimeout, CancellationToken.None);
        await IdleWaitersAsync(options, 3);

        await producer.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        await waiting.WaitAsync(WokenWithin);

        Assert.Equal(0, await _worker.Redis.GetDatabase().SortedSetLengthAsync(idle));
        Assert.Single(await live.ClaimAsync(10, CancellationToken.None));
        var clock = Stopwatch.StartNew();
        await late.WaitForWorkAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None);   // not woken: no work waits
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(450), "the waiter whose registration had expired was woken");
    }

    [Fact]
    public async Task A_cancelled_wait_ends_its_registration()
    {
        var options = NewOptions();
        var queue = _worker.NewQueue(options);
        using var stopping = new CancellationTokenSource();
        var waiting = queue.WaitForWorkAsync(LongTimeout, stopping.Token);
        await IdleWaitersAsync(options, 1);

        await stopping.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        // Sent without waiting for the answer: a stopping worker must not take the next wake-up.
        var clock = Stopwatch.StartNew();
        while (await _worker.Redis.GetDatabase().SortedSetLengthAsync(options.Prefix + "idle") > 0)
        {
            Assert.True(clock.Elapsed < WokenWithin, "the cancelled wait is still registered");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_claim_ends_the_claimers_registration()
    {
        var options = NewOptions();
        var queue = _worker.NewQueue(options);
        using (var givenUp = new CancellationTokenSource())
        {
            var waiting = queue.WaitForWorkAsync(LongTimeout, givenUp.Token);
            await IdleWaitersAsync(options, 1);
            await givenUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }

        Assert.Empty(await queue.ClaimAsync(10, CancellationToken.None));

        Assert.Equal(0, await _worker.Redis.GetDatabase().SortedSetLengthAsync(options.Prefix + "idle"));
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
        configuration.AsyncTimeout = 500;
        using var multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration);
        var options = new QueueOptions { Prefix = RedisFixture.NewKeyPrefix(nameof(QueueWakeTests)) };
        using var consumer = new RedisJobQueue(multiplexer, Options.Create(options), TimeProvider.System);
        var producer = _orchestrator.NewQueue(options);
        // The first subscription fails (its async timeout passes) or hangs; either way later waits must register.
        await consumer.WaitForWorkAsync(TimeSpan.FromSeconds(2), CancellationToken.None);

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

    private static QueueOptions NewOptions() => new() { Prefix = RedisFixture.NewKeyPrefix(nameof(QueueWakeTests)) };

    // The waits register in a round trip of their own: an enqueue sent before would find the queue's waiters missing.
    private async Task IdleWaitersAsync(QueueOptions options, long count)
    {
        var clock = Stopwatch.StartNew();
        while (await _worker.Redis.GetDatabase().SortedSetLengthAsync(options.Prefix + "idle") < count)
        {
            Assert.True(clock.Elapsed < WokenWithin, $"fewer than {count} waiters registered");
            await Task.Delay(10);
        }
    }
}
