using System.Text;
using AgentSystem.Contracts;
using AgentSystem.Testing.Containers.Fixtures;

namespace AgentSystem.Queue.IntegrationTests;

/// <summary>
/// A claim's byte budget (helper-64: a worker claiming 256 jobs of 64 KiB inputs ran out of memory while decoding them,
/// and their leases ran out until they were dead-lettered unrun): it stops before the message that would pass it, takes
/// the first whatever its size, and leaves the rest in their lanes in order.
/// </summary>
public sealed class QueueClaimBytesTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private static readonly string A = ClientId.Of("key-a 192.0.2.1");
    private static readonly string B = ClientId.Of("key-b 192.0.2.2");

    private QueueTestContext _context = null!;

    public async Task InitializeAsync() => _context = await QueueTestContext.ConnectAsync(redis.Configuration);

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task A_claim_stops_before_the_message_that_would_pass_its_byte_budget_and_the_rest_stay_in_order()
    {
        var queue = NewQueue(nameof(A_claim_stops_before_the_message_that_would_pass_its_byte_budget_and_the_rest_stay_in_order));
        var jobs = Large(A, 10, 1_000);
        await queue.EnqueueAsync(jobs, CancellationToken.None);

        var first = await queue.ClaimAsync(10, 4_000, CancellationToken.None);

        Assert.Equal(jobs.Take(3).Select(j => j.JobId), first.Select(c => c.Message.JobId));   // about 1,200 bytes each: a fourth would pass 4,000
        Assert.InRange(first.Sum(c => Encoding.UTF8.GetByteCount(c.Raw)), 3_000, 4_000);
        Assert.Equal(new QueueStats(7, 3, 0), await queue.GetStatsAsync(CancellationToken.None));
        var rest = await queue.ClaimAsync(10, int.MaxValue, CancellationToken.None);
        Assert.Equal(jobs.Skip(3).Select(j => j.JobId), rest.Select(c => c.Message.JobId));
    }

    [Fact]
    public async Task A_message_larger_than_the_budget_is_claimed_alone()
    {
        var queue = NewQueue(nameof(A_message_larger_than_the_budget_is_claimed_alone));
        var jobs = Large(A, 3, 10_000);
        await queue.EnqueueAsync(jobs, CancellationToken.None);

        var claimed = await queue.ClaimAsync(10, 1_000, CancellationToken.None);

        Assert.Equal(jobs[0].JobId, Assert.Single(claimed).Message.JobId);
        Assert.Equal(new QueueStats(2, 1, 0), await queue.GetStatsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_budget_that_fills_on_one_clients_part_leaves_the_others_on_the_ring_for_the_next_claim()
    {
        var queue = NewQueue(nameof(A_budget_that_fills_on_one_clients_part_leaves_the_others_on_the_ring_for_the_next_claim));
        var a = Large(A, 4, 1_000);
        var b = Large(B, 4, 1_000);
        await queue.EnqueueAsync(a, CancellationToken.None);
        await queue.EnqueueAsync(b, CancellationToken.None);

        var first = await queue.ClaimAsync(8, 2_500, CancellationToken.None);
        var second = await queue.ClaimAsync(8, 2_500, CancellationToken.None);
        var rest = await queue.ClaimAsync(8, int.MaxValue, CancellationToken.None);

        Assert.Equal([A, A], first.Select(c => c.Message.Client));
        Assert.Equal([B, B], second.Select(c => c.Message.Client));   // B's turn, though A was cut short
        // Every job once, first in first out within each client, whatever the budget cut.
        var all = first.Concat(second).Concat(rest).ToList();
        Assert.Equal(a.Select(j => j.JobId), all.Where(c => c.Message.Client == A).Select(c => c.Message.JobId));
        Assert.Equal(b.Select(j => j.JobId), all.Where(c => c.Message.Client == B).Select(c => c.Message.JobId));
        Assert.Equal(new QueueStats(0, 8, 0), await queue.GetStatsAsync(CancellationToken.None));
    }

    /// <summary>helper-65: cut at its first message, a client of large messages went to the back of the ring every time.</summary>
    [Fact]
    public async Task A_client_the_budget_cut_before_its_first_message_is_first_at_the_next_claim()
    {
        var queue = NewQueue(nameof(A_client_the_budget_cut_before_its_first_message_is_first_at_the_next_claim));
        await queue.EnqueueAsync(Large(A, 100, 100), CancellationToken.None);
        var large = Large(B, 3, 10_000);
        await queue.EnqueueAsync(large, CancellationToken.None);

        // A's small part comes first and leaves less room than one of B's messages, so B gives nothing to this claim.
        var first = await queue.ClaimAsync(4, 5_000, CancellationToken.None);
        var second = await queue.ClaimAsync(4, 5_000, CancellationToken.None);

        Assert.All(first, c => Assert.Equal(A, c.Message.Client));
        Assert.Equal(large[0].JobId, second[0].Message.JobId);
    }

    private RedisJobQueue NewQueue(string testName) =>
        _context.NewQueue(new QueueOptions { Prefix = RedisFixture.NewKeyPrefix(testName), VisibilityTimeout = TimeSpan.FromSeconds(30) });

    private static List<JobMessage> Large(string client, int count, int inputLength) =>
        [.. Enumerable.Range(0, count).Select(i => QueueTestContext.Job(i, input: new string('x', inputLength)) with { Client = client })];
}
