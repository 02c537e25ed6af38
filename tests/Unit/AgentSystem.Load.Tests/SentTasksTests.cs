using AgentSystem.Contracts;
using AgentSystem.Load.Scenarios;

namespace AgentSystem.Load.Tests;

/// <summary>What an end-to-end phase's steps sent: whole tasks, each with its step's moment.</summary>
public sealed class SentTasksTests
{
    private static readonly DateTimeOffset Moment = new(2026, 12, 6, 19, 0, 0, TimeSpan.Zero);

    private static JobMessage[] NewTask(int jobs = 5)
    {
        var task = Guid.NewGuid();
        return [.. Enumerable.Range(0, jobs).Select(_ => new JobMessage(Guid.NewGuid(), task, JobTypes.Echo, "load", 1, null))];
    }

    [Fact]
    public void Its_entries_hold_no_references_for_the_collector_to_copy_or_scan() => Assert.True(SentTasks.FreeOfReferences);

    [Fact]
    public void Measured_tasks_keep_their_steps_moment_and_their_jobs_and_warm_up_tasks_count_only_as_sent()
    {
        var sent = new SentTasks(capacity: 4);
        var (warmUp, first, second, third, never) = (NewTask(), NewTask(), NewTask(), NewTask(), NewTask());
        JobMessage[][] created = [warmUp, first, second, third, never];

        sent.Add(Moment, measured: false, warmUp);
        sent.Add(Moment.AddMilliseconds(1), measured: true, first, second);
        sent.Add(Moment.AddMilliseconds(2), measured: true, third);

        var (tasks, jobs) = sent.Measured(created);
        Assert.Equal(3, tasks.Count);
        Assert.Equal(Moment.AddMilliseconds(1), tasks[first[0].TaskId]);
        Assert.Equal(Moment.AddMilliseconds(1), tasks[second[0].TaskId]);
        Assert.Equal(Moment.AddMilliseconds(2), tasks[third[0].TaskId]);
        Assert.Equal(new[] { first, second, third }.SelectMany(task => task).Select(job => job.JobId).Order(), jobs.Order());
        Assert.Equal([never[0].TaskId], sent.NotSent(created));   // the warm-up's task was sent: its rows are not unused
    }

    [Fact]
    public async Task Steps_adding_at_once_from_many_threads_lose_none_as_the_list_grows_past_its_capacity()
    {
        var sent = new SentTasks(capacity: 16);
        var tasks = Enumerable.Range(0, 8_000).Select(_ => NewTask(jobs: 1)).ToArray();

        await Task.WhenAll(tasks.Chunk(1_000).Select(chunk => Task.Run(() =>
        {
            foreach (var task in chunk)
            {
                sent.Add(Moment, measured: true, task);
            }
        })));

        Assert.Equal(tasks.Select(task => task[0].TaskId).Order(), sent.Measured(tasks).Tasks.Keys.Order());
    }
}
