using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Services;
using AgentSystem.Orchestrator.Tests.Fakes;
using AgentSystem.Queue;
using AgentSystem.Store;
using AgentSystem.Testing.Fakes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Orchestrator.Tests;

public sealed class JobDispatcherTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 21, 14, 0, 0, TimeSpan.Zero));
    private readonly FakeJobQueue _queue;
    private readonly FakeTaskRepository _repository;
    private readonly FakeTaskSignals _signals = new();

    public JobDispatcherTests()
    {
        _queue = new FakeJobQueue(time: _time);
        _repository = new FakeTaskRepository(_time);
    }

    [Fact]
    public async Task It_sends_only_the_jobs_redis_does_not_hold_and_marks_them_all()
    {
        var task = await StoreAsync("a", "b", "c");
        var ids = task.Jobs.Select(j => j.Id).ToList();
        // Redis took "a" (the orchestrator crashed before marking it); "b" and "c" never reached it.
        await _queue.EnqueueAsync([Message(task, 0)], CancellationToken.None);

        var result = await Dispatcher().RunOnceAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(Found: 3, AlreadyQueued: 1, Sent: 2), result);
        Assert.Equal(ids, Assert.Single(_queue.FindKnownCalls));
        Assert.Equal(2, _queue.EnqueueCalls);
        Assert.Equal(ids, _queue.Queued.Select(m => m.JobId));
        Assert.All(_queue.Queued.Skip(1), m => Assert.Equal(_time.GetUtcNow(), m.EnqueuedAt));
        Assert.Equal(ids, Assert.Single(_repository.MarkEnqueuedCalls));
        Assert.All(ids, id => Assert.NotNull(_repository.EnqueuedAt(id)));
    }

    [Fact]
    public async Task Nothing_to_do_makes_no_redis_call()
    {
        var result = await Dispatcher().RunOnceAsync(CancellationToken.None);

        Assert.Equal(DispatchResult.None, result);
        Assert.Empty(_queue.FindKnownCalls);
        Assert.Equal(0, _queue.EnqueueCalls);
    }

    [Fact]
    public async Task A_second_round_finds_nothing_until_the_jobs_are_stale()
    {
        var task = await StoreAsync("a");
        var dispatcher = Dispatcher();
        await dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, (await dispatcher.RunOnceAsync(CancellationToken.None)).Found);

        // A minute later the job is still queued: Redis may have lost it (a restart, a flush).
        _queue.Lose(task.Jobs[0].Id);
        _time.Advance(TimeSpan.FromSeconds(61));
        var result = await dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(1, 0, 1), result);
        Assert.Equal(task.Jobs[0].Id, Assert.Single(_queue.Queued).JobId);
    }

    [Fact]
    public async Task Jobs_stored_by_a_submitter_that_died_before_sending_them_are_sent_once_stale()
    {
        var created = await _repository.CreateAsync(new NewTask(null, [new NewJob(JobTypes.Echo, "a")], null, null, null), CancellationToken.None);
        var dispatcher = Dispatcher();

        Assert.Equal(DispatchResult.None, await dispatcher.RunOnceAsync(CancellationToken.None));   // written as enqueued
        _time.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(new DispatchResult(1, 0, 1), await dispatcher.RunOnceAsync(CancellationToken.None));
        Assert.Equal(created.Task.Jobs[0].Id, Assert.Single(_queue.Queued).JobId);
    }

    [Fact]
    public async Task A_job_is_sent_again_into_its_clients_lane()
    {
        var client = ClientId.Of("key-1 192.0.2.10");
        await _repository.CreateAsync(new NewTask(null, [new NewJob(JobTypes.Echo, "a")], null, null, client), CancellationToken.None);
        await _repository.CreateAsync(new NewTask(null, [new NewJob(JobTypes.Echo, "b")], null, null, null), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(61));

        await Dispatcher().RunOnceAsync(CancellationToken.None);

        Assert.Equal([client, null], _queue.Queued.Select(m => m.Client));
    }

    [Fact]
    public async Task A_stale_job_redis_still_holds_is_marked_not_sent_twice()
    {
        var task = await StoreAsync("a");
        var dispatcher = Dispatcher();
        await dispatcher.RunOnceAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));

        var result = await dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(1, 1, 0), result);
        Assert.Single(_queue.Queued);
        Assert.Equal(_time.GetUtcNow(), _repository.EnqueuedAt(task.Jobs[0].Id));
    }

    [Fact]
    public async Task A_job_running_long_whose_lease_redis_lost_is_sent_again_as_its_next_delivery()
    {
        // A worker marked both jobs of the first task running; one still holds its lease, the other died with Redis's copy.
        var old = (await _repository.CreateAsync(new NewTask(null, [new NewJob(JobTypes.Sleep, "90"), new NewJob(JobTypes.Sleep, "90")], null, null, "c1"), CancellationToken.None)).Task;
        var (lost, leased) = (old.Jobs[0].Id, old.Jobs[1].Id);
        _repository.SetJob(lost, JobState.Running);
        _repository.SetJob(leased, JobState.Running);
        await _queue.EnqueueAsync([Message(old, 1)], CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(31));
        // Started half a minute later: not long enough yet, whatever Redis holds.
        var recent = (await _repository.CreateAsync(new NewTask(null, [new NewJob(JobTypes.Sleep, "90")], null, null, null), CancellationToken.None)).Task.Jobs[0].Id;
        _repository.SetJob(recent, JobState.Running);
        _time.Advance(TimeSpan.FromSeconds(30));
        var dispatcher = Dispatcher();

        var result = await dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(0, 0, 0, LostRunning: 1), result);
        Assert.Equal(new[] { lost, leased }.Order(), Assert.Single(_queue.FindKnownCalls).Order());
        var resent = Assert.Single(_queue.Queued, m => m.JobId == lost);
        Assert.Equal((old.Id, JobTypes.Sleep, 2, "c1", _time.GetUtcNow()), (resent.TaskId, resent.Type, resent.Attempt, resent.Client, resent.EnqueuedAt));

        // Redis holds it now: the next round leaves it to the worker that claims it.
        Assert.Equal(0, (await dispatcher.RunOnceAsync(CancellationToken.None)).LostRunning);
        Assert.Equal(2, _queue.Queued.Count);
    }

    [Fact]
    public async Task A_lost_running_job_on_its_last_attempt_is_marked_dead_not_sent_a_fourth_time()
    {
        // Marked running by its third delivery (MaxAttempts 3): the reclaimer would have dead-lettered it.
        var task = (await _repository.CreateAsync(new NewTask(null, [new NewJob(JobTypes.Sleep, "90")], null, null, null), CancellationToken.None)).Task;
        var job = task.Jobs[0].Id;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            _repository.SetJob(job, JobState.Running);
        }
        _time.Advance(TimeSpan.FromMinutes(2));

        var result = await Dispatcher().RunOnceAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(0, 0, 0, LostRunning: 0, LostDead: 1), result);
        Assert.Empty(_queue.Queued);
        var stored = Assert.Single((await _repository.GetAsync(task.Id, owner: null, CancellationToken.None))!.Jobs);
        Assert.Equal(JobState.Dead, stored.Status);
        Assert.StartsWith("its lease was lost with its worker on attempt 3 of 3", stored.Error, StringComparison.Ordinal);
        Assert.Equal((TaskSignal.Changed, job), Assert.Single(_signals.Published));   // the task's streams see it now
    }

    [Fact]
    public async Task A_long_running_job_that_ends_while_redis_is_asked_is_not_sent_again()
    {
        // Its result commits, then its ack takes it out of Redis: between the store's read and Redis's answer.
        var job = (await _repository.CreateAsync(new NewTask(null, [new NewJob(JobTypes.Sleep, "90")], null, null, null), CancellationToken.None)).Task.Jobs[0].Id;
        _repository.SetJob(job, JobState.Running);
        _time.Advance(TimeSpan.FromMinutes(2));
        _queue.OnFindKnown = _ => _repository.SetJob(job, JobState.Succeeded, result: "slept");

        var result = await Dispatcher().RunOnceAsync(CancellationToken.None);

        Assert.Equal(DispatchResult.None, result);
        Assert.Empty(_queue.Queued);
    }

    [Fact]
    public async Task It_works_in_batches_until_everything_is_sent()
    {
        for (var i = 0; i < 7; i++)
        {
            await StoreAsync($"{i}");
        }

        var result = await Dispatcher(new DispatcherOptions { BatchSize = 3 }).RunOnceAsync(CancellationToken.None);

        Assert.Equal(new DispatchResult(7, 0, 7), result);
        Assert.Equal(3, _queue.FindKnownCalls.Count);
        Assert.Equal([3, 3, 1], _queue.FindKnownCalls.Select(c => c.Count));
    }

    [Fact]
    public async Task A_round_with_redis_down_throws_and_leaves_the_jobs_for_the_next_round()
    {
        var task = await StoreAsync("a");
        _queue.Down = true;
        var dispatcher = Dispatcher();

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => dispatcher.RunOnceAsync(CancellationToken.None));

        Assert.Null(_repository.EnqueuedAt(task.Jobs[0].Id));
        _queue.Down = false;
        Assert.Equal(1, (await dispatcher.RunOnceAsync(CancellationToken.None)).Sent);
    }

    [Fact]
    public async Task The_background_loop_logs_failed_rounds_and_retries_until_redis_is_back()
    {
        var task = await StoreAsync("a");
        _queue.Down = true;
        var logs = new ListLoggerProvider();
        using var loggers = LoggerFactory.Create(builder => builder.AddProvider(logs));
        using var dispatcher = new JobDispatcher(
            _repository, _repository, _queue, _signals, Options.Create(new DispatcherOptions { Interval = TimeSpan.FromMilliseconds(20) }), Options.Create(new QueueOptions()), TimeProvider.System,
            loggers.CreateLogger<JobDispatcher>());

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => logs.Entries.Count(e => e.Level == LogLevel.Error) >= 2);
        _queue.Down = false;
        await WaitUntilAsync(() => _queue.Queued.Count == 1);
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Equal(task.Jobs[0].Id, Assert.Single(_queue.Queued).JobId);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("tries again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task In_the_service_the_dispatcher_sends_what_was_stored_while_redis_was_down()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?>
        {
            ["Dispatcher:Enabled"] = "true",
            ["Dispatcher:Interval"] = "00:00:00.050",
        });
        app.Queue.Down = true;
        var created = await app.CreateAsync(("echo", "x"));
        Assert.Empty(app.Queue.Queued);

        app.Queue.Down = false;

        await WaitUntilAsync(() => app.Queue.Queued.Count == 1);
        Assert.Equal(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), app.Queue.Queued[0].JobId);
    }

    private JobDispatcher Dispatcher(DispatcherOptions? options = null) =>
        new(_repository, _repository, _queue, _signals, Options.Create(options ?? new DispatcherOptions()), Options.Create(new QueueOptions()), _time, NullLogger<JobDispatcher>.Instance);

    // A task stored whose jobs could not be sent (the submitter unmarked them).
    private async Task<TaskRecord> StoreAsync(params string[] inputs)
    {
        var created = await _repository.CreateAsync(new NewTask(null, [.. inputs.Select(i => new NewJob(JobTypes.Echo, i))], null, null, null), CancellationToken.None);
        await _repository.UnmarkEnqueuedAsync([.. created.Task.Jobs.Select(j => j.Id)], CancellationToken.None);
        return created.Task;
    }

    private static JobMessage Message(TaskRecord task, int index) =>
        new(task.Jobs[index].Id, task.Id, task.Jobs[index].Type, task.Jobs[index].Input, 1, null);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true in time.");
            await Task.Delay(10);
        }
    }
}
