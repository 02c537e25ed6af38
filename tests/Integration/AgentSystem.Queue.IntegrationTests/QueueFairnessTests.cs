using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Testing.Containers.Fixtures;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>
/// Fair share between clients (docs/queue.md): a claim takes an equal part from each client with jobs waiting, first in
/// first out within each, and a client alone still gets all it asks for.
/// </summary>
public sealed class QueueFairnessTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private static readonly string A = ClientId.Of("key-a 192.0.2.1");
    private static readonly string B = ClientId.Of("key-b 192.0.2.2");

    private QueueTestContext _context = null!;

    public async Task InitializeAsync() => _context = await QueueTestContext.ConnectAsync(redis.Configuration);

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task A_claim_takes_an_equal_part_from_each_waiting_client_in_order_within_each()
    {
        var (queue, prefix) = NewQueue(nameof(A_claim_takes_an_equal_part_from_each_waiting_client_in_order_within_each));
        var many = Jobs(A, 100);
        var few = Jobs(B, 10);
        var none = Jobs(null, 10);
        await queue.EnqueueAsync(many, CancellationToken.None);
        await queue.EnqueueAsync([.. few, .. none], CancellationToken.None);
        Assert.Equal(new QueueStats(120, 0, 0), await queue.GetStatsAsync(CancellationToken.None));

        var first = await queue.ClaimAsync(30, CancellationToken.None);

        Assert.Equal(many.Take(10).Select(j => j.JobId), first.Where(c => c.Message.Client == A).Select(c => c.Message.JobId));
        Assert.Equal(few.Select(j => j.JobId), first.Where(c => c.Message.Client == B).Select(c => c.Message.JobId));
        Assert.Equal(none.Select(j => j.JobId), first.Where(c => c.Message.Client is null).Select(c => c.Message.JobId));
        Assert.Equal([A], await RingAsync(prefix));

        var rest = await queue.ClaimAsync(1000, CancellationToken.None);
        Assert.Equal(many.Skip(10).Select(j => j.JobId), rest.Select(c => c.Message.JobId));
        Assert.Empty(await RingAsync(prefix));
        Assert.Equal(new QueueStats(0, 120, 0), await queue.GetStatsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_client_whose_share_is_less_than_it_asks_leaves_the_rest_to_the_others()
    {
        var (queue, _) = NewQueue(nameof(A_client_whose_share_is_less_than_it_asks_leaves_the_rest_to_the_others));
        await queue.EnqueueAsync(Jobs(A, 300), CancellationToken.None);
        await queue.EnqueueAsync(Jobs(B, 3), CancellationToken.None);

        // B's part of 256 is 128 but it has 3: A takes the other 253.
        var claimed = await queue.ClaimAsync(256, CancellationToken.None);

        Assert.Equal(256, claimed.Count);
        Assert.Equal(3, claimed.Count(c => c.Message.Client == B));
    }

    [Fact]
    public async Task A_client_that_drains_and_comes_back_is_on_the_ring_once()
    {
        var (queue, prefix) = NewQueue(nameof(A_client_that_drains_and_comes_back_is_on_the_ring_once));
        await queue.EnqueueAsync(Jobs(A, 2), CancellationToken.None);
        Assert.Equal(2, (await queue.ClaimAsync(2, CancellationToken.None)).Count);   // exactly its lane: drained
        Assert.Empty(await RingAsync(prefix));

        await queue.EnqueueAsync(Jobs(A, 1), CancellationToken.None);
        await queue.EnqueueAsync(Jobs(A, 1), CancellationToken.None);

        Assert.Equal([A], await RingAsync(prefix));
    }

    [Fact]
    public async Task A_nacked_or_reclaimed_job_goes_back_to_its_clients_lane()
    {
        var (queue, prefix) = NewQueue(nameof(A_nacked_or_reclaimed_job_goes_back_to_its_clients_lane), TimeSpan.FromMilliseconds(300));
        await queue.EnqueueAsync(Jobs(A, 1), CancellationToken.None);
        await queue.EnqueueAsync(Jobs(B, 1), CancellationToken.None);
        var claimed = await queue.ClaimAsync(2, CancellationToken.None);
        Assert.Empty(await RingAsync(prefix));

        await queue.NackAsync(claimed.Single(c => c.Message.Client == A), "failed", CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        Assert.Equal(new ReclaimResult(1, 0), await queue.ReclaimExpiredAsync(CancellationToken.None));   // B's lease expired

        Assert.Equal([A, B], await RingAsync(prefix));
        var again = await queue.ClaimAsync(10, CancellationToken.None);
        Assert.Equal(new[] { (A, 2), (B, 2) }.Order(), again.Select(c => (c.Message.Client ?? "", c.Message.Attempt)).Order());
    }

    [Fact]
    public async Task Jobs_an_older_version_pushed_to_the_shared_list_are_still_seen_and_claimed()
    {
        var (queue, prefix) = NewQueue(nameof(Jobs_an_older_version_pushed_to_the_shared_list_are_still_seen_and_claimed));
        var old = Jobs(null, 1).Single();
        await redis.ExecuteAsync("LPUSH", prefix + "queue", JsonSerializer.Serialize(old, JsonSerializerOptions.Web));

        // Jobs are waiting, so the wait returns at once rather than after its timeout.
        await queue.WaitForWorkAsync(TimeSpan.FromSeconds(30), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new QueueStats(1, 0, 0), await queue.GetStatsAsync(CancellationToken.None));
        Assert.Equal(old.JobId, Assert.Single(await queue.ClaimAsync(10, CancellationToken.None)).Message.JobId);
    }

    [Fact]
    public async Task Jobs_in_the_shared_list_off_the_ring_take_their_turn_beside_a_clients_backlog()
    {
        // helper-59: pushed by an older version while a client had a backlog, they waited until the backlog was gone.
        var (queue, prefix) = NewQueue(nameof(Jobs_in_the_shared_list_off_the_ring_take_their_turn_beside_a_clients_backlog));
        await queue.EnqueueAsync(Jobs(A, 100), CancellationToken.None);
        var old = Jobs(null, 1).Single();
        await redis.ExecuteAsync("LPUSH", prefix + "queue", JsonSerializer.Serialize(old, JsonSerializerOptions.Web));
        await queue.EnqueueAsync(Jobs(null, 1), CancellationToken.None);   // the list was not empty: no ring entry from it

        var claimed = await queue.ClaimAsync(10, CancellationToken.None);

        Assert.Contains(claimed, c => c.Message.JobId == old.JobId);
        Assert.Equal(2, claimed.Count(c => c.Message.Client is null));
        Assert.Equal([A], await RingAsync(prefix));
    }

    private (RedisJobQueue Queue, string Prefix) NewQueue(string testName, TimeSpan? visibilityTimeout = null)
    {
        var options = new QueueOptions { Prefix = RedisFixture.NewKeyPrefix(testName), VisibilityTimeout = visibilityTimeout ?? TimeSpan.FromSeconds(30) };
        return (_context.NewQueue(options), options.Prefix);
    }

    // Joined by commas in Redis: redis-cli's output loses a last empty line, and the shared lane's member is ''.
    private async Task<string[]> RingAsync(string prefix) =>
        await redis.ExecuteAsync("LLEN", prefix + "ready") == "0"
            ? []
            : (await redis.ExecuteAsync("EVAL", "return table.concat(redis.call('LRANGE', KEYS[1], 0, -1), ',')", "1", prefix + "ready")).Split(',');

    private static List<JobMessage> Jobs(string? client, int count) =>
        [.. Enumerable.Range(0, count).Select(i => QueueTestContext.Job(i) with { Client = client })];
}
