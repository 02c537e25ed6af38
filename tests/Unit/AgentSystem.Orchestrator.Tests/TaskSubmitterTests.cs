using System.Collections.Concurrent;
using System.Diagnostics;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Orchestrator.Services;
using AgentSystem.Orchestrator.Tests.Fakes;
using AgentSystem.Store;
using AgentSystem.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentSystem.Orchestrator.Tests;

/// <summary>Group commit of submissions: what goes together into one store call, and what one bad task does to the rest.</summary>
public sealed class TaskSubmitterTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly FakeTaskRepository _repository = new();
    private readonly FakeJobQueue _queue = new();
    private readonly SemaphoreSlim _entered = new(0);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskSubmitter _submitter;

    public TaskSubmitterTests()
    {
        _submitter = new TaskSubmitter(_repository, _queue, Options.Create(new TasksOptions()), TimeProvider.System, NullLogger<TaskSubmitter>.Instance);
        _repository.HoldCreate = _ =>
        {
            _entered.Release();
            return _release.Task;
        };
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        await _submitter.DisposeAsync();
        _entered.Dispose();
    }

    [Fact]
    public async Task Submissions_made_while_every_batch_is_being_written_are_stored_together_in_the_next_and_all_their_jobs_sent()
    {
        var held = await FillBatchSlotsAsync();
        var waiting = new[] { Task("c"), Task("d"), Task("e") };
        var submitted = waiting.Select(task => _submitter.SubmitAsync(task, CancellationToken.None)).ToList();
        _release.SetResult();

        var created = await System.Threading.Tasks.Task.WhenAll([.. held, .. submitted]).WaitAsync(Wait);

        Assert.All(created, c => Assert.True(c.Created));
        Assert.Equal(3, _repository.CreateBatches.Count);
        Assert.Equal(waiting, _repository.CreateBatches[2]);
        Assert.Equal((3L, 5L), _submitter.Created);
        Assert.Equal(created.SelectMany(c => c.Task.Jobs).Select(j => j.Id).Order(), _queue.Queued.Select(m => m.JobId).Order());
    }

    [Fact]
    public async Task A_repeated_idempotency_key_in_one_batch_returns_the_earlier_task_and_sends_its_jobs_once()
    {
        var held = await FillBatchSlotsAsync();
        var first = _submitter.SubmitAsync(Task("first", key: "same"), CancellationToken.None);
        var repeat = _submitter.SubmitAsync(Task("repeat", key: "same"), CancellationToken.None);
        _release.SetResult();

        await System.Threading.Tasks.Task.WhenAll(held).WaitAsync(Wait);
        var (created, repeated) = (await first.WaitAsync(Wait), await repeat.WaitAsync(Wait));

        Assert.Equal(2, _repository.CreateBatches[2].Length);
        Assert.True(created.Created);
        Assert.False(repeated.Created);
        Assert.Equal(created.Task.Id, repeated.Task.Id);
        Assert.Equal("first", repeated.Task.Goal);
        Assert.Equal(1, _queue.Queued.Count(m => m.TaskId == created.Task.Id));
    }

    [Fact]
    public async Task A_task_the_store_rejects_fails_only_its_own_submission()
    {
        _repository.Rejects = task => task.Goal == "bad";
        var held = await FillBatchSlotsAsync();
        var good1 = _submitter.SubmitAsync(Task("good 1"), CancellationToken.None);
        var bad = _submitter.SubmitAsync(Task("bad"), CancellationToken.None);
        var good2 = _submitter.SubmitAsync(Task("good 2"), CancellationToken.None);
        _release.SetResult();

        await System.Threading.Tasks.Task.WhenAll(held).WaitAsync(Wait);
        Assert.True((await good1.WaitAsync(Wait)).Created);
        Assert.True((await good2.WaitAsync(Wait)).Created);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => bad.WaitAsync(Wait));
        Assert.Contains("bad", error.Message, StringComparison.Ordinal);

        // The batch of three failed as one, then each went alone.
        Assert.Equal(["good 1", "bad", "good 2"], _repository.CreateBatches[2].Select(t => t.Goal));
        Assert.Equal([["good 1"], ["bad"], ["good 2"]], _repository.CreateBatches.Skip(3).Select(b => b.Select(t => t.Goal).ToArray()));
        Assert.Equal(4, _repository.TaskCount);
        Assert.DoesNotContain(_repository.CreateRequests, t => t.Goal == "bad");
    }

    [Fact]
    public async Task A_batch_past_a_keys_storage_quota_stores_the_tasks_that_fit_and_refuses_the_rest()
    {
        var input = new string('x', 200 * 1024);
        NewTask Big(string goal, string owner) => new(goal, [new NewJob("echo", input)], null, null, null, owner, OwnerQuota: 1024 * 1024);
        var held = await FillBatchSlotsAsync();
        var submitted = new[] { Big("1", "key-0"), Big("2", "key-0"), Big("3", "key-0"), Big("other", "key-1") }
            .Select(task => _submitter.SubmitAsync(task, CancellationToken.None)).ToList();
        _release.SetResult();

        await System.Threading.Tasks.Task.WhenAll(held).WaitAsync(Wait);
        Assert.True((await submitted[0].WaitAsync(Wait)).Created);
        Assert.True((await submitted[1].WaitAsync(Wait)).Created);
        var refused = await Assert.ThrowsAsync<StorageQuotaExceededException>(() => submitted[2].WaitAsync(Wait));
        Assert.True((await submitted[3].WaitAsync(Wait)).Created);

        // A task: its goal (1 byte), its input and the echo's result (204,800 bytes each); two of them fit.
        Assert.Equal((1_048_576L, 409_601L, (long?)819_202L), (refused.Quota, refused.Needed, refused.Stored));
        Assert.Equal(819_202L, _repository.StoredBytes("key-0"));
        Assert.DoesNotContain(_repository.CreateRequests, t => t.Goal == "3");
        // Then key by key: the other key's task alone in one go, the key at its quota one by one.
        Assert.Equal([["1", "2", "3"], ["1"], ["2"], ["3"], ["other"]], _repository.CreateBatches.Skip(3).Select(b => b.Select(t => t.Goal).ToArray()));
    }

    /// <summary>helper-92: each refused task was written and rolled back, twice (its batch, then itself): 366 MB of WAL for 200.</summary>
    [Fact]
    public async Task A_key_refused_for_its_quota_is_refused_again_without_a_write_for_a_few_seconds()
    {
        var time = new FakeTimeProvider();
        var repository = new FakeTaskRepository(time);
        await using var submitter = new TaskSubmitter(repository, new FakeJobQueue(), Options.Create(new TasksOptions()), time, NullLogger<TaskSubmitter>.Instance);
        var input = new string('x', 200 * 1024);
        NewTask Big(string goal, string owner, string? key = null) => new(goal, [new NewJob("echo", input)], key, null, null, owner, OwnerQuota: 1024 * 1024);
        Assert.True((await submitter.SubmitAsync(Big("1", "key-0", key: "k1"), CancellationToken.None)).Created);
        Assert.True((await submitter.SubmitAsync(Big("2", "key-0"), CancellationToken.None)).Created);
        await Assert.ThrowsAsync<StorageQuotaExceededException>(() => submitter.SubmitAsync(Big("3", "key-0"), CancellationToken.None));
        var written = repository.CreateBatches.Count;

        var again = await Assert.ThrowsAsync<StorageQuotaExceededException>(() => submitter.SubmitAsync(Big("4", "key-0"), CancellationToken.None));
        Assert.Equal((1_048_576L, 409_601L, (long?)819_202L), (again.Quota, again.Needed, again.Stored));
        Assert.False((await submitter.SubmitAsync(Big("1 again", "key-0", key: "k1"), CancellationToken.None)).Created);   // a repeat: the stored task
        Assert.Equal(written, repository.CreateBatches.Count);

        // What fits still goes, and so do other keys; after a few seconds the store is asked again.
        Assert.True((await submitter.SubmitAsync(new NewTask("small", [new NewJob("echo", "x")], null, null, null, "key-0", OwnerQuota: 1024 * 1024), CancellationToken.None)).Created);
        Assert.True((await submitter.SubmitAsync(Big("other", "key-1"), CancellationToken.None)).Created);
        time.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<StorageQuotaExceededException>(() => submitter.SubmitAsync(Big("5", "key-0"), CancellationToken.None));
        Assert.Equal(["small", "other", "5"], repository.CreateBatches.Skip(written).Select(b => b.Single().Goal));
    }

    [Fact]
    public async Task A_batch_is_a_span_of_its_own_linked_to_the_trace_of_each_request_in_it()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == BatcherTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var held = await FillBatchSlotsAsync();
        var requests = new List<(ActivityTraceId Trace, Task<CreatedTask> Submitted)>();
        foreach (var goal in new[] { "c", "d", "e" })
        {
            using var request = new Activity($"POST {goal}").SetIdFormat(ActivityIdFormat.W3C).Start();
            requests.Add((request.TraceId, _submitter.SubmitAsync(Task(goal), CancellationToken.None)));
        }

        _release.SetResult();
        await System.Threading.Tasks.Task.WhenAll([.. held, .. requests.Select(r => r.Submitted)]).WaitAsync(Wait);

        var traces = requests.Select(r => r.Trace.ToHexString()).Order().ToList();
        var ours = spans.Where(span => span.Links.Any(link => traces.Contains(link.Context.TraceId.ToHexString()))).ToList();
        var store = Assert.Single(ours, span => span.DisplayName == "store tasks");
        Assert.Equal(traces, LinkedTraces(store));
        Assert.Equal(3, store.GetTagItem("batch.size"));
        Assert.DoesNotContain(store.TraceId.ToHexString(), traces);   // its own trace: it belongs to no one request
        // Each send follows its own commit, so the sends may go in one batch or several: each request's trace once.
        Assert.Equal(traces, ours.Where(span => span.DisplayName == "send jobs").SelectMany(LinkedTraces).Order());
    }

    private static IEnumerable<string> LinkedTraces(Activity span) => span.Links.Select(link => link.Context.TraceId.ToHexString()).Order();

    private static NewTask Task(string goal, string? key = null) => new(goal, [new NewJob("echo", goal)], key, null, null);

    // Two submissions whose store calls are held: every batch slot is busy, so what is submitted next waits together.
    private async Task<Task<CreatedTask>[]> FillBatchSlotsAsync()
    {
        var held = new List<Task<CreatedTask>>();
        foreach (var goal in new[] { "a", "b" })
        {
            held.Add(_submitter.SubmitAsync(Task(goal), CancellationToken.None));
            Assert.True(await _entered.WaitAsync(Wait), $"the store call of {goal} to start");
        }

        return [.. held];
    }
}
