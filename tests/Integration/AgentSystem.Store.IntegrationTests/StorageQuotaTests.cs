using AgentSystem.Contracts;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>
/// Each owner's stored bytes against its quota (owner_storage): counted at submit, refused past the quota by the
/// statement itself, given back by retention.
/// </summary>
public sealed class StorageQuotaTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    private const long Quota = 1024 * 1024;

    // 300,001 bytes each: a one-byte goal, an echo's 150,000-byte input and the result it may bring.
    private static readonly string Input = new('q', 150_000);

    [Fact]
    public async Task Tasks_are_stored_up_to_the_quota_then_refused_with_nothing_written_and_other_owners_go_on()
    {
        var owner = Owner();
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await Tasks.CreateAsync(Big(owner), CancellationToken.None)).Created);
        }

        var refused = await Assert.ThrowsAsync<StorageQuotaExceededException>(() => Tasks.CreateAsync(Big(owner), CancellationToken.None));

        Assert.Equal((Quota, 300_001L, (long?)900_003L), (refused.Quota, refused.Needed, refused.Stored));
        Assert.Equal(3L, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE owner = @owner", ("owner", owner)));
        Assert.Equal(900_003L, await StoredAsync(owner));
        Assert.True((await Tasks.CreateAsync(Big(Owner()), CancellationToken.None)).Created);
    }

    [Fact]
    public async Task A_batch_that_passes_the_quota_fails_whole_and_a_repeat_of_a_stored_task_is_no_new_bytes()
    {
        var owner = Owner();
        var first = await Tasks.CreateAsync(Big(owner, key: "first"), CancellationToken.None);

        var batch = new[] { Big(owner), Big(owner), Big(owner), Big(Owner()) };
        var refused = await Assert.ThrowsAsync<StorageQuotaExceededException>(() => Tasks.CreateManyAsync(batch, CancellationToken.None));
        Assert.Null(refused.Stored);   // which task did it is the caller's to find, one by one
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE owner = @owner", ("owner", owner)));

        var both = await Tasks.CreateManyAsync([Big(owner, key: "first"), Big(owner)], CancellationToken.None);
        Assert.Equal((first.Task.Id, false, true), (both[0].Task.Id, both[0].Created, both[1].Created));
        Assert.Equal(600_002L, await StoredAsync(owner));
    }

    [Fact]
    public async Task Retention_gives_back_what_the_deleted_tasks_counted()
    {
        var owner = Owner();
        var cutoff = new DateTimeOffset(2001, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var old = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var task = (await Tasks.CreateAsync(Big(owner), CancellationToken.None)).Task;
            await Tasks.CancelAsync(task.Id, owner, CancellationToken.None);
            await ExecuteAsync("UPDATE tasks SET created_at = @at, updated_at = @at WHERE id = @id", ("at", cutoff.AddDays(-1)), ("id", task.Id));
            old.Add(task.Id);
        }

        await ExecuteAsync("UPDATE tasks SET created_at = now(), updated_at = now() WHERE id = @id", ("id", old[^1]));   // kept
        await Assert.ThrowsAsync<StorageQuotaExceededException>(() => Tasks.CreateAsync(Big(owner), CancellationToken.None));
        while (await Tasks.DeleteFinishedBeforeAsync(cutoff, limit: 1, CancellationToken.None) > 0)
        {
        }

        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE id = ANY(@ids)", ("ids", old[..^1].ToArray())));
        Assert.Equal(300_001L, await StoredAsync(owner));   // the kept task's, exactly
        Assert.True((await Tasks.CreateAsync(Big(owner), CancellationToken.None)).Created);
    }

    [Fact]
    public async Task Without_a_quota_every_task_is_stored_and_still_counted()
    {
        var owner = Owner();
        for (var i = 0; i < 5; i++)
        {
            await Tasks.CreateAsync(Big(owner) with { OwnerQuota = 0 }, CancellationToken.None);
        }

        Assert.Equal(1_500_005L, await StoredAsync(owner));
        await Assert.ThrowsAsync<StorageQuotaExceededException>(() => Tasks.CreateAsync(Big(owner), CancellationToken.None));
    }

    [Fact]
    public async Task Owners_submitting_at_once_never_pass_their_quota_together()
    {
        var owner = Owner();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            try
            {
                return (await Tasks.CreateAsync(Big(owner), CancellationToken.None)).Created;
            }
            catch (StorageQuotaExceededException)
            {
                return false;
            }
        }));

        Assert.Equal(3, outcomes.Count(created => created));
        Assert.Equal(900_003L, await StoredAsync(owner));
    }

    private static string Owner() => "quota-" + Guid.NewGuid();

    private static NewTask Big(string owner, string? key = null) =>
        new("g", [new NewJob(JobTypes.Echo, Input)], key, null, null, owner, Quota);

    private Task<long> StoredAsync(string owner) => ScalarAsync<long>("SELECT bytes FROM owner_storage WHERE owner = @owner", ("owner", owner));
}
