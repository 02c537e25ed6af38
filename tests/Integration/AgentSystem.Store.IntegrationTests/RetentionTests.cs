using AgentSystem.Contracts;

namespace AgentSystem.Store.IntegrationTests;

/// <summary>The orchestrator's retention: which tasks DeleteFinishedBeforeAsync takes, and that their jobs go with them.</summary>
public sealed class RetentionTests(MigratedStoreFixture database) : StoreTestBase(database)
{
    private static readonly DateTimeOffset Cutoff = new(2001, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Final_tasks_created_and_changed_before_the_cutoff_go_with_their_jobs_oldest_first_and_nothing_else_does()
    {
        var succeeded = await FinishedAsync(succeed: true, createdAt: Cutoff.AddDays(-30));
        var cancelled = await FinishedAsync(succeed: false, createdAt: Cutoff.AddDays(-20));
        var third = await FinishedAsync(succeed: true, createdAt: Cutoff.AddDays(-10));
        var open = await Tasks.CreateAsync(NewTask(), CancellationToken.None);
        await BackDateAsync(open.Task.Id, Cutoff.AddDays(-40), Cutoff.AddDays(-40));
        var changedSince = await FinishedAsync(succeed: false, createdAt: Cutoff.AddDays(-50), updatedAt: Cutoff.AddDays(1));
        var recent = await FinishedAsync(succeed: true, createdAt: null);
        Guid[] gone = [succeeded, cancelled, third];

        Assert.Equal(2, await Tasks.DeleteFinishedBeforeAsync(Cutoff, limit: 2, CancellationToken.None));
        Assert.NotNull(await Tasks.GetAsync(third, owner: null, CancellationToken.None));
        Assert.Equal(1, await Tasks.DeleteFinishedBeforeAsync(Cutoff, limit: 2, CancellationToken.None));
        Assert.Equal(0, await Tasks.DeleteFinishedBeforeAsync(Cutoff, limit: 2, CancellationToken.None));

        foreach (var id in gone)
        {
            Assert.Null(await Tasks.GetAsync(id, owner: null, CancellationToken.None));
        }

        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM jobs WHERE task_id = ANY(@ids)", ("ids", gone)));
        foreach (var id in new[] { open.Task.Id, changedSince, recent })
        {
            Assert.Equal(2, (await Tasks.GetAsync(id, owner: null, CancellationToken.None))!.Jobs.Count);
        }
    }

    [Fact]
    public async Task A_deleted_tasks_idempotency_key_makes_a_new_task()
    {
        var key = "retained-" + Guid.NewGuid();
        var first = await Tasks.CreateAsync(NewTask(key: key), CancellationToken.None);
        await Tasks.CancelAsync(first.Task.Id, owner: null, CancellationToken.None);
        await BackDateAsync(first.Task.Id, Cutoff.AddDays(-1), Cutoff.AddDays(-1));

        Assert.Equal(1, await Tasks.DeleteFinishedBeforeAsync(Cutoff, limit: 1000, CancellationToken.None));
        var again = await Tasks.CreateAsync(NewTask(key: key), CancellationToken.None);

        Assert.True(again.Created);
        Assert.NotEqual(first.Task.Id, again.Task.Id);
    }

    [Fact]
    public async Task Deleters_running_at_once_delete_every_task_once_between_them()
    {
        var old = new List<Guid>();
        for (var i = 0; i < 40; i++)
        {
            old.Add(await FinishedAsync(succeed: false, createdAt: Cutoff.AddDays(-100 + i)));
        }

        var deleters = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var deleted = 0;
            int batch;
            while ((batch = await Tasks.DeleteFinishedBeforeAsync(Cutoff, limit: 3, CancellationToken.None)) > 0)
            {
                deleted += batch;
            }

            return deleted;
        }));

        Assert.Equal(40, (await Task.WhenAll(deleters)).Sum());
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE id = ANY(@ids)", ("ids", old.ToArray())));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM jobs WHERE task_id = ANY(@ids)", ("ids", old.ToArray())));
    }

    /// <summary>A task of two jobs, succeeded or cancelled, then dated back (null: left as made, now).</summary>
    private async Task<Guid> FinishedAsync(bool succeed, DateTimeOffset? createdAt, DateTimeOffset? updatedAt = null)
    {
        var created = await Tasks.CreateAsync(NewTask(), CancellationToken.None);
        if (succeed)
        {
            foreach (var job in created.Task.Jobs)
            {
                await StartAsync(Jobs, job.Id, 1);
                await CompleteAsync(Jobs, job.Id, "done");
            }
        }
        else
        {
            await Tasks.CancelAsync(created.Task.Id, owner: null, CancellationToken.None);
        }

        var task = await Tasks.GetAsync(created.Task.Id, owner: null, CancellationToken.None);
        Assert.Equal(succeed ? TaskState.Succeeded : TaskState.Cancelled, task!.Status);
        if (createdAt is { } at)
        {
            await BackDateAsync(created.Task.Id, at, updatedAt ?? at);
        }

        return created.Task.Id;
    }

    private Task BackDateAsync(Guid task, DateTimeOffset createdAt, DateTimeOffset updatedAt) =>
        ExecuteAsync("UPDATE tasks SET created_at = @created, updated_at = @updated WHERE id = @id", ("created", createdAt), ("updated", updatedAt), ("id", task));
}
