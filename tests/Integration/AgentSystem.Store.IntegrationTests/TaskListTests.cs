using AgentSystem.Contracts;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>The task list: newest first, paged, filtered by status, with job counts (a class of its own: it counts every task).</summary>
public sealed class TaskListTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    [Fact]
    public async Task Pages_come_newest_first_with_totals_filters_and_job_counts()
    {
        var created = new List<TaskRecord>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await Tasks.CreateAsync(NewTask(jobs: i + 1, goal: $"task {i}"), CancellationToken.None)).Task);
        }

        // Task 6: one of seven jobs done (running); task 5: cancelled; the rest queued.
        await StartAsync(Jobs, created[6].Jobs[0].Id, 1);
        await CompleteAsync(Jobs, created[6].Jobs[0].Id, "ok");
        await Tasks.CancelAsync(created[5].Id, CancellationToken.None);

        var first = await Tasks.ListAsync(null, 1, 3, CancellationToken.None);
        var third = await Tasks.ListAsync(null, 3, 3, CancellationToken.None);
        var beyond = await Tasks.ListAsync(null, 4, 3, CancellationToken.None);

        Assert.Equal(7, first.Total);
        Assert.Equal((1, 3), (first.Page, first.PageSize));
        Assert.Equal(["task 6", "task 5", "task 4"], first.Items.Select(t => t.Goal));
        Assert.Equal(["task 0"], third.Items.Select(t => t.Goal));
        Assert.Empty(beyond.Items);
        Assert.Equal(7, beyond.Total);
        var running = first.Items[0];
        Assert.Equal((TaskState.Running, 7, 1), (running.Status, running.JobCount, running.CompletedJobs));
        Assert.Equal((TaskState.Cancelled, 6, 6), (first.Items[1].Status, first.Items[1].JobCount, first.Items[1].CompletedJobs));

        var queued = await Tasks.ListAsync(TaskState.Queued, 1, 10, CancellationToken.None);
        Assert.Equal(5, queued.Total);
        Assert.Equal(["task 4", "task 3", "task 2", "task 1", "task 0"], queued.Items.Select(t => t.Goal));
        Assert.Equal(1, (await Tasks.ListAsync(TaskState.Cancelled, 1, 10, CancellationToken.None)).Total);
        Assert.Empty((await Tasks.ListAsync(TaskState.Failed, 1, 10, CancellationToken.None)).Items);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Tasks.ListAsync(null, 0, 10, CancellationToken.None));
    }
}

/// <summary>Past Limits.MaxListedItems the list counts no further and says so (a class of its own: it makes 10,004 tasks).</summary>
public sealed class TaskListLimitTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    [Fact]
    public async Task The_total_stops_one_past_the_limit_and_says_it_is_not_exact()
    {
        await ExecuteAsync(
            """
            INSERT INTO tasks (id, status, goal, created_at)
            SELECT gen_random_uuid(), CASE WHEN g <= 3 THEN 'queued' ELSE 'succeeded' END, 'task ' || g, now() - make_interval(secs => g)
            FROM generate_series(1, @count) AS g
            """,
            ("count", Limits.MaxListedItems + 4));

        var all = await Tasks.ListAsync(null, 1, 20, CancellationToken.None);
        var lastPage = await Tasks.ListAsync(null, Limits.MaxListedItems / 20, 20, CancellationToken.None);
        var queued = await Tasks.ListAsync(TaskState.Queued, 1, 20, CancellationToken.None);

        Assert.Equal((Limits.MaxListedItems, false), (all.Total, all.TotalExact));
        Assert.Equal(["task 1", "task 2"], all.Items.Take(2).Select(t => t.Goal));
        Assert.Equal(20, lastPage.Items.Count);
        Assert.Equal($"task {Limits.MaxListedItems}", lastPage.Items[^1].Goal);
        Assert.Equal((3L, true), (queued.Total, queued.TotalExact));
    }
}
