using AgentSystem.Contracts;
using AgentSystem.Testing.Containers.Fixtures;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>Leases: the visibility timeout, reclaim, renew, nack with retries and the dead-letter list.</summary>
public sealed class QueueLeaseTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PastShortLease = TimeSpan.FromMilliseconds(1300);

    private QueueTestContext _context = null!;

    public async Task InitializeAsync() => _context = await QueueTestContext.ConnectAsync(redis.Configuration);

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task An_expired_lease_is_reclaimed_to_the_back_of_the_queue_with_the_next_attempt()
    {
        var queue = _context.NewQueue(nameof(An_expired_lease_is_reclaimed_to_the_back_of_the_queue_with_the_next_attempt), ShortLease);
        var job = QueueTestContext.Job(input: "ünïcödé \"quoted\" back\\slash / <b>", traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        var other = QueueTestContext.Job();
        await queue.EnqueueAsync([job], CancellationToken.None);
        var first = Assert.Single(await queue.ClaimAsync(1, CancellationToken.None));
        await queue.EnqueueAsync([other], CancellationToken.None);

        Assert.Equal(new ReclaimResult(0, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));   // still leased
        await Task.Delay(PastShortLease);
        Assert.Equal(new ReclaimResult(1, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));

        var claimed = await queue.ClaimAsync(10, CancellationToken.None);
        Assert.Equal([other.JobId, job.JobId], claimed.Select(c => c.Message.JobId));   // reclaimed goes to the back
        var again = claimed[1].Message;
        Assert.Equal(2, again.Attempt);
        Assert.Equal(job with { Attempt = 2, EnqueuedAt = again.EnqueuedAt }, again);   // every other field intact (cjson round trip)
        Assert.True(again.EnqueuedAt > first.Message.EnqueuedAt, "a requeued message carries its new enqueue time");
        Assert.Equal([job.JobId], await queue.FindKnownAsync([job.JobId], CancellationToken.None));
    }

    [Fact]
    public async Task Reclaim_dead_letters_a_job_whose_last_attempt_expired()
    {
        var queue = _context.NewQueue(nameof(Reclaim_dead_letters_a_job_whose_last_attempt_expired), ShortLease, maxAttempts: 2);
        var job = QueueTestContext.Job();
        await queue.EnqueueAsync([job], CancellationToken.None);

        await queue.ClaimAsync(1, CancellationToken.None);
        await Task.Delay(PastShortLease);
        Assert.Equal(new ReclaimResult(1, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));
        Assert.Equal(2, Assert.Single(await queue.ClaimAsync(1, CancellationToken.None)).Message.Attempt);
        await Task.Delay(PastShortLease);
        var reclaimed = await queue.ReclaimExpiredAsync(CancellationToken.None);
        Assert.Equal(new ReclaimResult(0, 1), reclaimed with { DeadLetters = [] });
        Assert.Equal((job.JobId, 2), (Assert.Single(reclaimed.DeadLetters).JobId, reclaimed.DeadLetters[0].Attempt));   // to mark dead in PostgreSQL

        var letter = Assert.Single(await queue.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal(job.JobId, letter.Message.JobId);
        Assert.Equal(2, letter.Message.Attempt);
        Assert.Contains("lease expired", letter.Error, StringComparison.Ordinal);
        Assert.Empty(await queue.FindKnownAsync([job.JobId], CancellationToken.None));
        Assert.Equal(new QueueStats(0, 0, 1), await queue.GetStatsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Reclaim_handles_at_most_its_batch_size_per_call()
    {
        var queue = _context.NewQueue(nameof(Reclaim_handles_at_most_its_batch_size_per_call), ShortLease, reclaimBatchSize: 4);
        await queue.EnqueueAsync(QueueTestContext.Jobs(10), CancellationToken.None);
        await queue.ClaimAsync(10, CancellationToken.None);
        await Task.Delay(PastShortLease);

        Assert.Equal(new ReclaimResult(4, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));
        Assert.Equal(new ReclaimResult(4, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));
        Assert.Equal(new ReclaimResult(2, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));
        Assert.Equal(new QueueStats(10, 0, 0), await queue.GetStatsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Nack_retries_with_the_next_attempt_then_dead_letters_with_the_last_error()
    {
        var queue = _context.NewQueue(nameof(Nack_retries_with_the_next_attempt_then_dead_letters_with_the_last_error), maxAttempts: 3);
        var job = QueueTestContext.Job();
        await queue.EnqueueAsync([job], CancellationToken.None);
        var before = DateTimeOffset.UtcNow;

        var outcomes = new List<NackOutcome>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var claimed = Assert.Single(await queue.ClaimAsync(5, CancellationToken.None));
            Assert.Equal(attempt, claimed.Message.Attempt);
            outcomes.Add(await queue.NackAsync(claimed, $"error on attempt {attempt}", CancellationToken.None));
        }

        Assert.Equal([NackOutcome.Requeued, NackOutcome.Requeued, NackOutcome.DeadLettered], outcomes);
        Assert.Empty(await queue.ClaimAsync(5, CancellationToken.None));
        var letter = Assert.Single(await queue.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal("error on attempt 3", letter.Error);
        Assert.Equal(job with { Attempt = 3, EnqueuedAt = letter.Message.EnqueuedAt }, letter.Message);
        Assert.InRange(letter.At, before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));   // Redis' clock, same host
        Assert.Equal(new QueueStats(0, 0, 1), await queue.GetStatsAsync(CancellationToken.None));
        Assert.Empty(await queue.FindKnownAsync([job.JobId], CancellationToken.None));
    }

    [Fact]
    public async Task Renewing_keeps_a_running_job_from_being_reclaimed()
    {
        var queue = _context.NewQueue(nameof(Renewing_keeps_a_running_job_from_being_reclaimed), ShortLease);
        await queue.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        var claimed = Assert.Single(await queue.ClaimAsync(1, CancellationToken.None));

        for (var i = 0; i < 6; i++)   // 2.4 s, more than twice the lease
        {
            await Task.Delay(400);
            Assert.Empty(await queue.RenewAsync([claimed], CancellationToken.None));
            Assert.Equal(new ReclaimResult(0, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));
        }

        await queue.AckAsync([claimed], CancellationToken.None);
        Assert.Equal(new QueueStats(0, 0, 0), await queue.GetStatsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_lost_lease_cannot_be_renewed_and_a_late_ack_or_nack_leaves_the_requeued_copy_alone()
    {
        var queue = _context.NewQueue(nameof(A_lost_lease_cannot_be_renewed_and_a_late_ack_or_nack_leaves_the_requeued_copy_alone), ShortLease);
        var job = QueueTestContext.Job();
        await queue.EnqueueAsync([job], CancellationToken.None);
        var stale = Assert.Single(await queue.ClaimAsync(1, CancellationToken.None));
        await Task.Delay(PastShortLease);
        await queue.ReclaimExpiredAsync(CancellationToken.None);

        Assert.Single(await queue.RenewAsync([stale], CancellationToken.None));
        await queue.AckAsync([stale], CancellationToken.None);
        Assert.Equal(NackOutcome.Requeued, await queue.NackAsync(stale, "late", CancellationToken.None));

        Assert.Equal(new QueueStats(1, 0, 0), await queue.GetStatsAsync(CancellationToken.None));   // exactly one copy
        Assert.Equal([job.JobId], await queue.FindKnownAsync([job.JobId], CancellationToken.None));
        var current = Assert.Single(await queue.ClaimAsync(1, CancellationToken.None));
        Assert.Equal(2, current.Message.Attempt);
        Assert.Empty(await queue.RenewAsync([current], CancellationToken.None));
        output.WriteLine($"stale lease {stale.LeaseDeadline:O}, current lease {current.LeaseDeadline:O}");
    }

    [Fact]
    public async Task A_lease_whose_job_redis_lost_entirely_is_leased_again_to_the_worker_still_running_it()
    {
        // What a flush, or a crash inside the AOF window, leaves of a running job: neither its lease nor its id. Lost,
        // the dispatcher would send it again beside the worker running it (docs/queue.md, "The dispatcher").
        var options = new QueueOptions { Prefix = RedisFixture.NewKeyPrefix(nameof(A_lease_whose_job_redis_lost_entirely_is_leased_again_to_the_worker_still_running_it)), VisibilityTimeout = ShortLease };
        var queue = _context.NewQueue(options);
        var job = QueueTestContext.Job();
        await queue.EnqueueAsync([job], CancellationToken.None);
        var claimed = Assert.Single(await queue.ClaimAsync(1, CancellationToken.None));
        var redis = _context.Redis.GetDatabase();
        Assert.True(await redis.SortedSetRemoveAsync(options.Prefix + "processing", claimed.Raw));
        Assert.True(await redis.SetRemoveAsync(options.Prefix + "known", job.JobId.ToString()));

        Assert.Empty(await queue.RenewAsync([claimed], CancellationToken.None));

        Assert.Equal([job.JobId], await queue.FindKnownAsync([job.JobId], CancellationToken.None));
        await Task.Delay(PastShortLease / 2);
        Assert.Empty(await queue.RenewAsync([claimed], CancellationToken.None));
        await Task.Delay(PastShortLease / 2);
        Assert.Equal(new ReclaimResult(0, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));   // held, not expired
        await queue.AckAsync([claimed], CancellationToken.None);
        Assert.Equal(new QueueStats(0, 0, 0), await queue.GetStatsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Long_errors_are_cut_in_the_dead_letter()
    {
        var queue = _context.NewQueue(nameof(Long_errors_are_cut_in_the_dead_letter), maxAttempts: 1);
        await queue.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);
        var claimed = Assert.Single(await queue.ClaimAsync(1, CancellationToken.None));

        Assert.Equal(NackOutcome.DeadLettered, await queue.NackAsync(claimed, new string('x', 10_000), CancellationToken.None));

        Assert.Equal(RedisJobQueue.MaxErrorLength, Assert.Single(await queue.GetDeadLettersAsync(1, CancellationToken.None)).Error.Length);
    }

    [Fact]
    public async Task A_batch_renewal_extends_the_leases_held_and_returns_the_lost_ones()
    {
        var queue = _context.NewQueue(nameof(A_batch_renewal_extends_the_leases_held_and_returns_the_lost_ones), ShortLease);
        await queue.EnqueueAsync(QueueTestContext.Jobs(3), CancellationToken.None);
        var claimed = await queue.ClaimAsync(3, CancellationToken.None);
        // Its lease taken back: the job is queued again (a job Redis no longer knows at all is leased again instead,
        // A_lease_whose_job_redis_lost_entirely_...; a worker stops renewing a job before it acks it).
        await queue.NackAsync(claimed[1], "retried", CancellationToken.None);

        for (var i = 0; i < 4; i++)   // 1.6 s, more than the lease
        {
            await Task.Delay(400);
            Assert.Equal([claimed[1]], await queue.RenewAsync(claimed, CancellationToken.None));
        }

        Assert.Equal(new ReclaimResult(0, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));
        Assert.Equal(new QueueStats(1, 2, 0), await queue.GetStatsAsync(CancellationToken.None));
    }
}
