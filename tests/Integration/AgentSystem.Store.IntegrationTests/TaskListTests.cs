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
        await Tasks.CancelAsync(created[5].Id, owner: null, CancellationToken.None);

        var first = await Tasks.ListAsync(null, owner: null, 1, 3, CancellationToken.None);
        var third = await Tasks.ListAsync(null, owner: null, 3, 3, CancellationToken.None);
        var beyond = await Tasks.ListAsync(null, owner: null, 4, 3, CancellationToken.None);

        Assert.Equal(7, first.Total);
        Assert.Equal((1, 3), (first.Page, first.PageSize));
        Assert.Equal(["task 6", "task 5", "task 4"], first.Items.Select(t => t.Goal));
        Assert.Equal(["task 0"], third.Items.Select(t => t.Goal));
        Assert.Empty(beyond.Items);
        Assert.Equal(7, beyond.Total);
        var running = first.Items[0];
        Assert.Equal((TaskState.Running, 7, 1), (running.Status, running.JobCount, running.CompletedJobs));
        Assert.Equal((TaskState.Cancelled, 6, 6), (first.Items[1].Status, first.Items[1].JobCount, first.Items[1].CompletedJobs));

        var queued = await Tasks.ListAsync(TaskState.Queued, owner: null, 1, 10, CancellationToken.None);
        Assert.Equal(5, queued.Total);
        Assert.Equal(["task 4", "task 3", "task 2", "task 1", "task 0"], queued.Items.Select(t => t.Goal));
        Assert.Equal(1, (await Tasks.ListAsync(TaskState.Cancelled, owner: null, 1, 10, CancellationToken.None)).Total);
        Assert.Empty((await Tasks.ListAsync(TaskState.Failed, owner: null, 1, 10, CancellationToken.None)).Items);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Tasks.ListAsync(null, owner: null, 0, 10, CancellationToken.None));
    }
}

/// <summary>Past Limits.MaxListedItems the list counts no further and says so (a class of its own: it makes 10,004 tasks).</summary>
public sealed class TaskListLimitTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    [Fact]
    public async Task The_total_is_exact_up_to_the_limit_and_stops_at_it_past_that()
    {
        await InsertAsync(Limits.MaxListedItems, status: "succeeded", firstSecondsAgo: 10);
        var atLimit = await Tasks.ListAsync(null, owner: null, 1, 20, CancellationToken.None);
        await InsertAsync(4, status: "queued", firstSecondsAgo: 1);

        var all = await Tasks.ListAsync(null, owner: null, 1, 20, CancellationToken.None);
        var lastPage = await Tasks.ListAsync(null, owner: null, Limits.MaxListedItems / 20, 20, CancellationToken.None);
        var straddling = await Tasks.ListAsync(null, owner: null, 334, 30, CancellationToken.None);
        var queued = await Tasks.ListAsync(TaskState.Queued, owner: null, 1, 20, CancellationToken.None);

        Assert.Equal((Limits.MaxListedItems, true), (atLimit.Total, atLimit.TotalExact));
        Assert.Equal((Limits.MaxListedItems, false), (all.Total, all.TotalExact));
        Assert.Equal(["queued 1", "queued 2"], all.Items.Take(2).Select(t => t.Goal));
        Assert.Equal(20, lastPage.Items.Count);
        Assert.Equal($"succeeded {Limits.MaxListedItems - 4}", lastPage.Items[^1].Goal);
        // Rows 9,991 to 10,000: the page that straddles the limit ends at it.
        Assert.Equal(10, straddling.Items.Count);
        Assert.Equal((4L, true), (queued.Total, queued.TotalExact));
    }

    // Tasks "STATUS 1" (the newest, firstSecondsAgo) to "STATUS count", a second apart, older as the number grows.
    private Task InsertAsync(int count, string status, int firstSecondsAgo) => ExecuteAsync(
        """
        INSERT INTO tasks (id, status, goal, created_at)
        SELECT gen_random_uuid(), @status, @status || ' ' || g, now() - make_interval(secs => @first + g)
        FROM generate_series(1, @count) AS g
        """,
        ("count", count), ("status", status), ("first", firstSecondsAgo));
}
