using AgentSystem.Contracts;
using AgentSystem.Queue;
using AgentSystem.Worker.Services;
using AgentSystem.Worker.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSystem.Worker.Tests;

public sealed class QueueReclaimerTests
{
    [Fact]
    public async Task Reclaim_counts_and_marks_the_jobs_it_dead_lettered_dead_in_postgres()
    {
        await using var worker = new WorkerHarness();
        var reclaimer = worker.Services.GetRequiredService<QueueReclaimer>();
        var buried = new JobMessage(Guid.NewGuid(), Guid.NewGuid(), JobTypes.Echo, "x", 3, null);
        var alreadyDead = new JobMessage(Guid.NewGuid(), Guid.NewGuid(), JobTypes.Echo, "y", 3, null);
        worker.Store.States[buried.JobId] = JobState.Running;
        worker.Store.States[alreadyDead.JobId] = JobState.Dead;
        worker.Queue.AddDeadLetter(alreadyDead, "failed");
        worker.Queue.AddDeadLetter(buried, "lease expired on attempt 3 of 3");
        worker.Queue.ReclaimResults.Enqueue(new ReclaimResult(2, 1));

        var result = await reclaimer.ReclaimOnceAsync(CancellationToken.None);

        Assert.Equal(new ReclaimResult(2, 1), result);
        Assert.Equal(JobState.Dead, worker.Store.States[buried.JobId]);
        Assert.Equal("lease expired on attempt 3 of 3", Assert.Single(worker.Store.Failures).Reason);
        var metrics = worker.Metrics.Snapshot();
        Assert.Equal(3, metrics.Reclaimed);
        Assert.Equal(1, metrics.DeadLettered);
    }

    [Fact]
    public async Task Nothing_expired_writes_nothing()
    {
        await using var worker = new WorkerHarness();
        var reclaimer = worker.Services.GetRequiredService<QueueReclaimer>();

        Assert.Equal(new ReclaimResult(0, 0), await reclaimer.ReclaimOnceAsync(CancellationToken.None));
        Assert.Empty(worker.Store.Failures);
        Assert.Equal(0, worker.Metrics.Snapshot().Reclaimed);
    }

    [Fact]
    public async Task Runs_every_interval_until_stopped()
    {
        await using var worker = new WorkerHarness(options => options.ReclaimInterval = TimeSpan.FromMilliseconds(20));
        var reclaimer = worker.Services.GetRequiredService<QueueReclaimer>();

        await reclaimer.StartAsync(CancellationToken.None);
        await Eventually.True(() => worker.Queue.ReclaimCalls >= 3, "three reclaims");
        await reclaimer.StopAsync(CancellationToken.None);
        var calls = worker.Queue.ReclaimCalls;

        Assert.True(reclaimer.ExecuteTask!.IsCompleted);
        Assert.Equal(calls, worker.Queue.ReclaimCalls);
    }

    [Fact]
    public async Task Interval_defaults_to_a_third_of_the_visibility_timeout()
    {
        await using var worker = new WorkerHarness(queue: options => options.VisibilityTimeout = TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromSeconds(10), worker.Services.GetRequiredService<QueueReclaimer>().Interval);
    }
}
