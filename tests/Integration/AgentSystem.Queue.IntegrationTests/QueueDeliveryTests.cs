using AgentSystem.Contracts;
using AgentSystem.Testing.Containers.Fixtures;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>Enqueue, claim, ack: order, idempotency, what Redis knows, and the counts.</summary>
public sealed class QueueDeliveryTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private QueueTestContext _context = null!;

    public async Task InitializeAsync() => _context = await QueueTestContext.ConnectAsync(redis.Configuration);

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task Claims_come_first_in_first_out_across_enqueue_batches_with_enqueued_at_set()
    {
        var queue = _context.NewQueue(nameof(Claims_come_first_in_first_out_across_enqueue_batches_with_enqueued_at_set));
        var first = QueueTestContext.Jobs(5);
        var second = QueueTestContext.Jobs(5);
        var before = DateTimeOffset.UtcNow;

        Assert.Equal(5, await queue.EnqueueAsync(first, CancellationToken.None));
        Assert.Equal(5, await queue.EnqueueAsync(second, CancellationToken.None));
        var claimed = new List<ClaimedJob>();
        claimed.AddRange(await queue.ClaimAsync(3, CancellationToken.None));
        claimed.AddRange(await queue.ClaimAsync(100, CancellationToken.None));

        Assert.Equal(first.Concat(second).Select(j => j.JobId), claimed.Select(c => c.Message.JobId));
        Assert.All(claimed, c =>
        {
            Assert.Equal(1, c.Message.Attempt);
            Assert.NotNull(c.Message.EnqueuedAt);
            Assert.InRange(c.Message.EnqueuedAt!.Value, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
            Assert.True(c.LeaseDeadline > DateTimeOffset.UtcNow.AddSeconds(20), $"lease deadline {c.LeaseDeadline:O}");
        });
        Assert.Empty(await queue.ClaimAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task Messages_keep_every_field_exactly()
    {
        var queue = _context.NewQueue(nameof(Messages_keep_every_field_exactly));
        var job = new JobMessage(Guid.NewGuid(), Guid.NewGuid(), JobTypes.Hash, "quotes \" back\\slash / ünïcödé 😀 <tag> & \n newline",
            1, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        await queue.EnqueueAsync([job], CancellationToken.None);
        var claimed = Assert.Single(await queue.ClaimAsync(1, CancellationToken.None));

        Assert.Equal(job with { EnqueuedAt = claimed.Message.EnqueuedAt }, claimed.Message);
        // Stored as written, not as six-byte escapes: the queue's messages are never embedded in a page.
        Assert.Contains("ünïcödé", claimed.Raw, StringComparison.Ordinal);
        Assert.Contains("<tag> &", claimed.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_is_idempotent_per_job_id_while_the_job_is_queued_or_in_processing()
    {
        var queue = _context.NewQueue(nameof(Enqueue_is_idempotent_per_job_id_while_the_job_is_queued_or_in_processing));
        var jobs = QueueTestContext.Jobs(3);

        Assert.Equal(3, await queue.EnqueueAsync([.. jobs, jobs[0]], CancellationToken.None));
        Assert.Equal(0, await queue.EnqueueAsync(jobs, CancellationToken.None));
        var claimed = await queue.ClaimAsync(1, CancellationToken.None);
        Assert.Equal(0, await queue.EnqueueAsync(jobs, CancellationToken.None));   // one in processing, two queued
        Assert.Equal(new QueueStats(2, 1, 0), await queue.GetStatsAsync(CancellationToken.None));

        // Once acked, Redis forgets the job: the dispatcher may send it again (it would only if PostgreSQL says queued).
        await queue.AckAsync([claimed[0]], CancellationToken.None);
        Assert.Equal(1, await queue.EnqueueAsync([jobs[0]], CancellationToken.None));
    }

    [Fact]
    public async Task Ack_removes_the_job_from_processing_and_from_what_Redis_knows()
    {
        var queue = _context.NewQueue(nameof(Ack_removes_the_job_from_processing_and_from_what_Redis_knows));
        var jobs = QueueTestContext.Jobs(2);
        await queue.EnqueueAsync(jobs, CancellationToken.None);
        var claimed = await queue.ClaimAsync(2, CancellationToken.None);

        await queue.AckAsync([claimed[0]], CancellationToken.None);
        await queue.AckAsync([claimed[0]], CancellationToken.None);   // twice: harmless

        Assert.Equal(new QueueStats(0, 1, 0), await queue.GetStatsAsync(CancellationToken.None));
        Assert.Equal([jobs[1].JobId], await queue.FindKnownAsync([.. jobs.Select(j => j.JobId)], CancellationToken.None));
        await queue.AckAsync([claimed[1]], CancellationToken.None);
        Assert.Equal(new QueueStats(0, 0, 0), await queue.GetStatsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task FindKnown_answers_which_ids_are_queued_or_in_processing()
    {
        var queue = _context.NewQueue(nameof(FindKnown_answers_which_ids_are_queued_or_in_processing));
        var jobs = QueueTestContext.Jobs(4);
        await queue.EnqueueAsync(jobs, CancellationToken.None);
        var claimed = await queue.ClaimAsync(2, CancellationToken.None);    // jobs 0, 1 in processing
        await queue.AckAsync([claimed[0]], CancellationToken.None);           // job 0 done
        var unknown = Guid.NewGuid();

        var known = await queue.FindKnownAsync([.. jobs.Select(j => j.JobId), unknown], CancellationToken.None);

        Assert.Equal(jobs.Skip(1).Select(j => j.JobId).ToHashSet(), known.ToHashSet());
        Assert.Empty(await queue.FindKnownAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task Stats_count_queued_processing_and_dead_lettered()
    {
        var queue = _context.NewQueue(nameof(Stats_count_queued_processing_and_dead_lettered), maxAttempts: 1);
        await queue.EnqueueAsync(QueueTestContext.Jobs(6), CancellationToken.None);
        var claimed = await queue.ClaimAsync(3, CancellationToken.None);
        await queue.NackAsync(claimed[0], "boom", CancellationToken.None);

        Assert.Equal(new QueueStats(3, 2, 1), await queue.GetStatsAsync(CancellationToken.None));
    }

    /// <summary>helper-64: a client whose jobs kept failing filled Redis with dead letters, which nothing trimmed.</summary>
    [Fact]
    public async Task The_dead_letter_list_keeps_the_newest_and_drops_the_oldest()
    {
        var queue = _context.NewQueue(nameof(The_dead_letter_list_keeps_the_newest_and_drops_the_oldest), maxAttempts: 1);
        var jobs = QueueTestContext.Jobs(RedisJobQueue.DeadLettersKept + 5);
        await queue.EnqueueAsync(jobs, CancellationToken.None);
        var claimed = await queue.ClaimAsync(IJobQueue.MaxBatch, CancellationToken.None);
        claimed = [.. claimed, .. await queue.ClaimAsync(IJobQueue.MaxBatch, CancellationToken.None)];
        foreach (var job in claimed)
        {
            Assert.Equal(NackOutcome.DeadLettered, await queue.NackAsync(job, "boom", CancellationToken.None));
        }

        Assert.Equal(new QueueStats(0, 0, RedisJobQueue.DeadLettersKept), await queue.GetStatsAsync(CancellationToken.None));
        var newest = await queue.GetDeadLettersAsync(3, CancellationToken.None);
        Assert.Equal(claimed.TakeLast(3).Reverse().Select(c => c.Message.JobId), newest.Select(d => d.Message.JobId));
    }

    [Fact]
    public async Task An_unreadable_message_is_set_aside_instead_of_failing_every_claim()
    {
        var options = new QueueOptions { Prefix = RedisFixture.NewKeyPrefix(nameof(An_unreadable_message_is_set_aside_instead_of_failing_every_claim)) };
        var queue = _context.NewQueue(options);
        var good = QueueTestContext.Job();
        await redis.ExecuteAsync("LPUSH", options.Prefix + "queue", "{not json");
        await queue.EnqueueAsync([good], CancellationToken.None);

        var claimed = Assert.Single(await queue.ClaimAsync(10, CancellationToken.None));

        Assert.Equal(good.JobId, claimed.Message.JobId);
        Assert.Equal(new QueueStats(0, 1, 1), await queue.GetStatsAsync(CancellationToken.None));
        Assert.Empty(await queue.GetDeadLettersAsync(10, CancellationToken.None));   // counted, but not a job message
    }

    [Fact]
    public async Task A_flushed_script_cache_on_the_server_is_survived()
    {
        var queue = _context.NewQueue(nameof(A_flushed_script_cache_on_the_server_is_survived));
        await queue.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None);

        Assert.Equal("OK", await redis.ExecuteAsync("SCRIPT", "FLUSH"));   // as after a Redis restart, the SHA1s are unknown

        Assert.Equal(1, await queue.EnqueueAsync([QueueTestContext.Job()], CancellationToken.None));
        Assert.Equal(2, (await queue.ClaimAsync(10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Empty_batches_cost_nothing_and_bad_arguments_are_refused()
    {
        var queue = _context.NewQueue(nameof(Empty_batches_cost_nothing_and_bad_arguments_are_refused));

        Assert.Equal(0, await queue.EnqueueAsync([], CancellationToken.None));
        Assert.Empty(await queue.GetDeadLettersAsync(0, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ClaimAsync(0, CancellationToken.None));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.EnqueueAsync([QueueTestContext.Job()], new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task A_batch_ack_settles_the_leases_still_held_and_says_how_many()
    {
        var queue = _context.NewQueue(nameof(A_batch_ack_settles_the_leases_still_held_and_says_how_many));
        var jobs = QueueTestContext.Jobs(5);
        await queue.EnqueueAsync(jobs, CancellationToken.None);
        var claimed = await queue.ClaimAsync(5, CancellationToken.None);

        Assert.Equal(2, await queue.AckAsync([claimed[0], claimed[1]], CancellationToken.None));
        Assert.Equal(3, await queue.AckAsync([.. claimed.Skip(1)], CancellationToken.None));   // claimed[1] was settled already

        Assert.Equal(new QueueStats(0, 0, 0), await queue.GetStatsAsync(CancellationToken.None));
        Assert.Empty(await queue.FindKnownAsync([.. jobs.Select(j => j.JobId)], CancellationToken.None));
    }

    [Fact]
    public async Task Batches_larger_than_one_script_call_are_split_and_every_job_goes_through_in_order()
    {
        var queue = _context.NewQueue(nameof(Batches_larger_than_one_script_call_are_split_and_every_job_goes_through_in_order));
        var jobs = QueueTestContext.Jobs((2 * IJobQueue.MaxBatch) + 500);

        Assert.Equal(jobs.Count, await queue.EnqueueAsync(jobs, CancellationToken.None));
        var first = await queue.ClaimAsync(5 * IJobQueue.MaxBatch, CancellationToken.None);
        Assert.Equal(IJobQueue.MaxBatch, first.Count);
        var claimed = new List<ClaimedJob>(first);
        while (await queue.ClaimAsync(IJobQueue.MaxBatch, CancellationToken.None) is { Count: > 0 } more)
        {
            claimed.AddRange(more);
        }

        Assert.Equal(jobs.Select(j => j.JobId), claimed.Select(c => c.Message.JobId));
        Assert.Equal(jobs.Count, await queue.AckAsync(claimed, CancellationToken.None));
        Assert.Equal(new QueueStats(0, 0, 0), await queue.GetStatsAsync(CancellationToken.None));
    }
}
