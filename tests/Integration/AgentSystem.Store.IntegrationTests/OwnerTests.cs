using AgentSystem.Contracts;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>Each owner (an API key's name) finds only its own tasks; a call without one finds every task.</summary>
public sealed class OwnerTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    [Fact]
    public async Task An_owner_reads_lists_and_cancels_only_its_own_tasks()
    {
        var (mine, theirs) = (Owner("mine"), Owner("theirs"));
        var first = (await Tasks.CreateAsync(NewTask(owner: mine, goal: "first"), CancellationToken.None)).Task;
        var other = (await Tasks.CreateAsync(NewTask(owner: theirs, goal: "other"), CancellationToken.None)).Task;
        var second = (await Tasks.CreateAsync(NewTask(owner: mine, goal: "second"), CancellationToken.None)).Task;

        Assert.Null(await Tasks.GetAsync(other.Id, mine, CancellationToken.None));
        Assert.Equal(other.Id, (await Tasks.GetAsync(other.Id, theirs, CancellationToken.None))?.Id);
        Assert.Equal(other.Id, (await Tasks.GetAsync(other.Id, owner: null, CancellationToken.None))?.Id);

        var listed = await Tasks.ListAsync(null, mine, 1, 10, CancellationToken.None);
        Assert.Equal([second.Id, first.Id], listed.Items.Select(t => t.Id));
        Assert.Equal(2, listed.Total);
        Assert.Equal([other.Id], (await Tasks.ListAsync(TaskState.Queued, theirs, 1, 10, CancellationToken.None)).Items.Select(t => t.Id));
        Assert.Empty((await Tasks.ListAsync(TaskState.Cancelled, theirs, 1, 10, CancellationToken.None)).Items);

        Assert.Null(await Tasks.CancelAsync(other.Id, mine, CancellationToken.None));
        var untouched = (await Tasks.GetAsync(other.Id, owner: null, CancellationToken.None))!;
        Assert.Equal((TaskState.Queued, other.UpdatedAt), (untouched.Status, untouched.UpdatedAt));
        Assert.False(await Tasks.IsOwnedByAsync(other.Id, mine, CancellationToken.None));
        Assert.True(await Tasks.IsOwnedByAsync(other.Id, theirs, CancellationToken.None));
        Assert.False(await Tasks.IsOwnedByAsync(Guid.NewGuid(), theirs, CancellationToken.None));
        Assert.Equal(2L, await ScalarAsync<long>("SELECT count(*) FROM job_dispatch d JOIN jobs j ON j.id = d.job_id WHERE j.task_id = @task", ("task", other.Id)));
        Assert.True((await Tasks.CancelAsync(other.Id, theirs, CancellationToken.None))!.Changed);
        Assert.Equal([other.Id], (await Tasks.ListAsync(TaskState.Cancelled, theirs, 1, 10, CancellationToken.None)).Items.Select(t => t.Id));
    }

    [Fact]
    public async Task An_idempotency_key_is_unique_per_owner_in_a_batch_and_across_batches()
    {
        var (a, b) = (Owner("a"), Owner("b"));
        var key = "order-" + Guid.NewGuid();

        var created = await Tasks.CreateManyAsync(
            [NewTask(key: key, owner: a, goal: "a"), NewTask(key: key, owner: b, goal: "b"), NewTask(key: key, goal: "none"), NewTask(key: key, owner: a, goal: "a again")],
            CancellationToken.None);
        var later = await Tasks.CreateManyAsync([NewTask(key: key, owner: b, goal: "b again"), NewTask(key: key, goal: "none again")], CancellationToken.None);

        Assert.Equal([true, true, true, false], created.Select(c => c.Created));
        Assert.Equal(created[0].Task.Id, created[3].Task.Id);
        Assert.Equal(3, created.Select(c => c.Task.Id).Distinct().Count());
        Assert.Equal([false, false], later.Select(c => c.Created));
        Assert.Equal([created[1].Task.Id, created[2].Task.Id], later.Select(c => c.Task.Id));
        Assert.Equal(["b", "none"], later.Select(c => c.Task.Goal));
        Assert.Equal(3L, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE idempotency_key = @key", ("key", key)));

        // Read by owner and key (the orchestrator's answer to a repeat while the key is over its quota): '' is no owner.
        Assert.Equal(created[0].Task.Id, (await Tasks.GetByKeyAsync(a, key, CancellationToken.None))?.Id);
        Assert.Equal(created[2].Task.Id, (await Tasks.GetByKeyAsync("", key, CancellationToken.None))?.Id);
        Assert.Null(await Tasks.GetByKeyAsync(Owner("c"), key, CancellationToken.None));
    }

    [Fact]
    public async Task An_owners_list_walks_its_own_index_newest_first_without_reading_other_owners_tasks()
    {
        var owner = Owner("indexed");
        await ExecuteAsync("""
            INSERT INTO tasks (id, status, owner, created_at)
            SELECT gen_random_uuid(), CASE WHEN i % 2 = 0 THEN 'queued' ELSE 'succeeded' END,
                   CASE WHEN i % 20 = 0 THEN @owner ELSE 'other-' || (i % 50) END, now() - i * interval '1 s'
            FROM generate_series(1, 6000) AS i;
            ANALYZE tasks;
            """, ("owner", owner));

        foreach (var (filter, index) in new[]
        {
            ("t.owner = @owner", "tasks_owner_created_at_idx"),
            ("t.owner = @owner AND t.status = 'queued'", "tasks_owner_status_created_at_idx"),
        })
        {
            await using var explain = WithParameters(
                DataSource.CreateCommand($"EXPLAIN SELECT t.id FROM tasks t WHERE {filter} ORDER BY t.created_at DESC, t.id DESC LIMIT 20"), [("owner", owner)]);
            await using var reader = await explain.ExecuteReaderAsync();
            var plan = new List<string>();
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }

            var text = string.Join('\n', plan);
            Assert.Contains(index, text, StringComparison.Ordinal);
            Assert.DoesNotContain("Sort", text, StringComparison.Ordinal);
        }
    }

    private static string Owner(string name) => $"{name}-{Guid.NewGuid():N}";
}
