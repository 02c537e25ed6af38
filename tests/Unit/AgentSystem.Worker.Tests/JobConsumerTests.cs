using System.Diagnostics;
using AgentSystem.Contracts;
using AgentSystem.Queue;
using AgentSystem.Worker.Services;
using AgentSystem.Worker.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSystem.Worker.Tests;

public sealed class JobConsumerTests
{
    [Fact]
    public async Task A_side_effect_free_job_runs_unchecked_then_completes_then_acks_with_one_write()
    {
        // The mark far off, so a slow machine cannot make it due: what is tested is the order, not a race with a timer.
        await using var worker = new WorkerHarness(options => options.RunningMarkAfter = TimeSpan.FromMinutes(1));
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(JobTypes.Echo, "hello");
        await Eventually.True(() => worker.Queue.AckCount(job.JobId) == 1, "the ack");

        Assert.Equal(JobState.Succeeded, worker.Store.States[job.JobId]);
        Assert.Equal("hello", worker.Store.Results[job.JobId]);
        Assert.Equal(1, worker.Store.ResultAttempts[job.JobId]);
        var log = worker.Log;
        Assert.Empty(worker.Store.RunnableCalls);   // echo has no side effects: its guarded result write is the check
        Assert.Empty(worker.Store.StartCalls);   // done before the running mark was due: its result is its only write
        Assert.True(log.IndexOf($"complete:{job.JobId}") < log.IndexOf($"ack:{job.JobId}"), log.ToString());
        Assert.Empty(worker.Queue.Nacks);
        await Eventually.True(() => worker.Metrics.Snapshot().Processed == 1, "the processed count");
        var metrics = worker.Metrics.Snapshot();
        Assert.Equal(1, metrics.JobLatency.Count);
        Assert.Equal(1, metrics.PickupLatency.Count);
        Assert.Equal(0, worker.Queue.Processing);
    }

    [Fact]
    public async Task Cancelled_job_is_acked_without_running()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(handlers: gate);
        var id = Guid.NewGuid();
        worker.Store.States[id] = JobState.Cancelled;
        await worker.StartAsync();

        await worker.Queue.AddAsync(GateHandler.DefaultType, "x", id);
        await Eventually.True(() => worker.Queue.AckCount(id) == 1, "the ack");

        Assert.Equal(0, gate.Started);
        Assert.Equal(JobState.Cancelled, worker.Store.States[id]);
        Assert.DoesNotContain(worker.Log.Entries, entry => entry.StartsWith("complete:", StringComparison.Ordinal));
        await Eventually.True(() => worker.Metrics.Snapshot().Skipped == 1, "the skipped count");
    }

    [Fact]
    public async Task A_job_with_side_effects_is_checked_before_it_runs()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(options => options.RunningMarkAfter = TimeSpan.FromMinutes(1), handlers: gate);
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(GateHandler.DefaultType, "x");
        await Eventually.True(() => gate.Started == 1, "the run");
        Assert.Contains($"check:{job.JobId}", worker.Log.Entries);
        gate.Release();
        await Eventually.True(() => worker.Queue.AckCount(job.JobId) == 1, "the ack");

        var log = worker.Log;
        Assert.True(log.IndexOf($"check:{job.JobId}") < log.IndexOf($"complete:{job.JobId}"), log.ToString());
    }

    [Fact]
    public async Task A_side_effect_free_job_cancelled_while_queued_runs_but_its_result_is_dropped()
    {
        await using var worker = new WorkerHarness();
        var id = Guid.NewGuid();
        worker.Store.States[id] = JobState.Cancelled;
        await worker.StartAsync();

        await worker.Queue.AddAsync(JobTypes.Echo, "x", id);
        await Eventually.True(() => worker.Queue.AckCount(id) == 1, "the ack");

        Assert.Equal(JobState.Cancelled, worker.Store.States[id]);
        Assert.False(worker.Store.Results.ContainsKey(id));
        Assert.Empty(worker.Queue.Nacks);
        await Eventually.True(() => worker.Metrics.Snapshot() is { Skipped: 1, Processed: 0 }, "counted skipped, not processed");
    }

    [Fact]
    public async Task A_side_effect_free_job_cancelled_while_queued_that_fails_is_checked_and_not_retried()
    {
        var failing = new FailingHandler(sideEffectFree: true);
        await using var worker = new WorkerHarness(handlers: failing);
        var id = Guid.NewGuid();
        worker.Store.States[id] = JobState.Cancelled;
        await worker.StartAsync();

        await worker.Queue.AddAsync(FailingHandler.TypeName, "x", id);
        await Eventually.True(() => worker.Queue.AckCount(id) == 1, "the ack");

        Assert.Equal(1, failing.Calls);
        Assert.Contains($"check-skip:{id}", worker.Log.Entries);
        Assert.Empty(worker.Store.Failures);
        Assert.Empty(worker.Queue.Nacks);
        await Eventually.True(() => worker.Metrics.Snapshot() is { Skipped: 1, Failed: 0, Retried: 0 }, "counted skipped, not failed");
    }

    [Fact]
    public async Task Failing_handler_is_recorded_queued_and_nacked_until_the_last_attempt_then_dead()
    {
        var failing = new FailingHandler();
        await using var worker = new WorkerHarness(queue: options => options.MaxAttempts = 3, handlers: failing);
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(FailingHandler.TypeName, "x");
        await Eventually.True(() => worker.Queue.Dead.Count == 1 && worker.Metrics.Snapshot().DeadLettered == 1, "the dead letter");

        Assert.Equal(3, failing.Calls);
        Assert.Equal([JobState.Queued, JobState.Queued, JobState.Dead], worker.Store.Failures.Select(failure => failure.State));
        Assert.All(worker.Store.Failures, failure => Assert.Equal("model unavailable", failure.Reason));
        Assert.Equal([NackOutcome.Requeued, NackOutcome.Requeued, NackOutcome.DeadLettered], worker.Queue.Nacks.Select(nack => nack.Outcome));
        Assert.Equal([1, 2, 3], worker.Queue.Nacks.Select(nack => nack.Job.Message.Attempt));
        Assert.Equal(JobState.Dead, worker.Store.States[job.JobId]);
        Assert.Empty(worker.Queue.Acks);
        // Each failure is written before its nack.
        var log = worker.Log;
        Assert.True(log.IndexOf($"fail:{job.JobId}:Dead") < log.IndexOf($"nack:{job.JobId}:DeadLettered"), log.ToString());
        var metrics = worker.Metrics.Snapshot();
        Assert.Equal(3, metrics.Failed);
        Assert.Equal(2, metrics.Retried);
        Assert.Equal(0, metrics.Processed);
    }

    [Theory]
    [InlineData("teleport", "x", "'teleport'")]
    [InlineData(JobTypes.Sleep, "soon", "'soon'")]
    public async Task Unknown_type_or_bad_input_fails_at_once_and_is_acked(string type, string input, string errorMentions)
    {
        await using var worker = new WorkerHarness();
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(type, input);
        await Eventually.True(() => worker.Queue.AckCount(job.JobId) == 1, "the ack");

        Assert.Equal(JobState.Failed, worker.Store.States[job.JobId]);
        Assert.Contains(errorMentions, Assert.Single(worker.Store.Failures).Reason, StringComparison.Ordinal);
        Assert.Empty(worker.Queue.Nacks);
        Assert.True(worker.Log.IndexOf($"fail:{job.JobId}:Failed") < worker.Log.IndexOf($"ack:{job.JobId}"));
        await Eventually.True(() => worker.Metrics.Snapshot().Rejected == 1, "the rejected count");
        Assert.Equal(1, worker.Metrics.Snapshot().Failed);
    }

    [Fact]
    public async Task Store_down_means_no_ack_until_the_write_commits_and_the_lease_is_renewed_meanwhile()
    {
        // A renewal every 100 ms (a third of the visibility timeout).
        await using var worker = new WorkerHarness(queue: options => options.VisibilityTimeout = TimeSpan.FromMilliseconds(300));
        await worker.StartAsync();
        worker.Store.Down = true;

        var job = await worker.Queue.AddAsync(JobTypes.Echo, "hello");
        await Eventually.True(() => worker.Store.Outages >= 3 && worker.Queue.Renewals.GetValueOrDefault(job.JobId) >= 2, "retries and renewals");

        Assert.Empty(worker.Queue.Acks);
        Assert.Empty(worker.Queue.Nacks);
        Assert.Equal(1, worker.Queue.Processing);

        worker.Store.Down = false;
        await Eventually.True(() => worker.Queue.AckCount(job.JobId) == 1, "the ack after recovery");

        Assert.Equal(JobState.Succeeded, worker.Store.States[job.JobId]);
        Assert.True(worker.Log.IndexOf($"complete:{job.JobId}") < worker.Log.IndexOf($"ack:{job.JobId}"), worker.Log.ToString());
        Assert.True(worker.Metrics.Snapshot().StoreRetries >= 3);
    }

    [Fact]
    public async Task Store_failing_n_times_on_the_result_write_still_acks_once_after_commit()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(handlers: gate);
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(GateHandler.DefaultType, "x");
        await Eventually.True(() => gate.Running == 1, "the job to run");
        worker.Store.FailNext(4);
        gate.Release();
        await Eventually.True(() => worker.Queue.AckCount(job.JobId) == 1, "the ack");

        Assert.Equal(4, worker.Store.Outages);
        var log = worker.Log;
        Assert.Equal(4, log.Count("store-down"));
        Assert.True(log.Entries.ToList().LastIndexOf("store-down") < log.IndexOf($"complete:{job.JobId}"), log.ToString());
        Assert.True(log.IndexOf($"complete:{job.JobId}") < log.IndexOf($"ack:{job.JobId}"), log.ToString());
    }

    [Fact]
    public async Task Never_more_jobs_in_flight_than_the_concurrency_and_claims_ask_for_the_free_slots()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(options => { options.Concurrency = 3; options.ClaimBatchSize = 10; }, handlers: gate);
        for (var i = 0; i < 10; i++)
        {
            await worker.Queue.AddAsync(GateHandler.DefaultType, $"{i}");
        }

        await worker.StartAsync();
        await Eventually.True(() => gate.Running == 3, "three jobs to run");

        Assert.Equal(3, worker.Queue.ClaimRequests.First());
        Assert.Equal(3, worker.Metrics.Snapshot().InFlight);
        Assert.Equal(7, worker.Queue.Queued.Count);

        gate.Release();
        await Eventually.True(() => worker.Queue.Acks.Count == 10, "all ten acks");

        Assert.Equal(3, gate.MaxRunning);
        Assert.All(worker.Queue.ClaimRequests, wanted => Assert.InRange(wanted, 1, 3));
        await Eventually.True(() => worker.Metrics.Snapshot().InFlight == 0, "nothing in flight");
    }

    /// <summary>helper-64: claims of 256 jobs of 64 KiB inputs ran a worker out of memory while it decoded them.</summary>
    [Fact]
    public async Task Claims_stop_at_the_message_text_a_worker_may_hold_and_wait_for_a_job_to_end()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(options => { options.Concurrency = 10; options.MaxHeldMessageChars = 65_536; }, handlers: gate);
        var input = new string('x', 30_000);
        for (var i = 0; i < 6; i++)
        {
            await worker.Queue.AddAsync(GateHandler.DefaultType, input);
        }

        await worker.StartAsync();
        await Eventually.True(() => gate.Running == 3, "the jobs that fit to run");

        // Two fit in 65,536 characters; the next claim had room for part of one and took it whole (a claim takes at
        // least one), and then there was none: the loop waits for a job to end, with ten slots and jobs waiting.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.Equal(3, gate.Running);
        Assert.Equal(3, worker.Queue.Queued.Count);
        Assert.InRange(worker.Consumer.HeldMessageChars, 3 * 30_000, 65_536 + 31_000);
        Assert.Equal(65_536, worker.Queue.ClaimByteBudgets.First());
        Assert.All(worker.Queue.ClaimByteBudgets, budget => Assert.InRange(budget, 1, 65_536));

        gate.Release();
        await Eventually.True(() => worker.Queue.Acks.Count == 6, "all six acks");
        await Eventually.True(() => worker.Consumer.HeldMessageChars == 0, "nothing held");
    }

    [Fact]
    public async Task A_job_still_running_after_the_mark_delay_is_marked_running_before_its_result()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(options => options.RunningMarkAfter = TimeSpan.FromMilliseconds(50), handlers: gate);
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(GateHandler.DefaultType, "slow");
        await Eventually.True(() => worker.Store.States.TryGetValue(job.JobId, out var state) && state == JobState.Running, "the running mark");
        Assert.Empty(worker.Store.Results);
        gate.Release();
        await Eventually.True(() => worker.Queue.AckCount(job.JobId) == 1, "the ack");

        var log = worker.Log;
        Assert.True(log.IndexOf($"check:{job.JobId}") < log.IndexOf($"start:{job.JobId}:1"), log.ToString());
        Assert.True(log.IndexOf($"start:{job.JobId}:1") < log.IndexOf($"complete:{job.JobId}"), log.ToString());
        Assert.Equal(JobState.Succeeded, worker.Store.States[job.JobId]);
        // The mark carries how long the job had run (at least the mark's delay), so the store records its real start.
        Assert.InRange(worker.Store.StartElapsed[job.JobId], TimeSpan.FromMilliseconds(45), TimeSpan.MaxValue);
    }

    [Fact]
    public async Task A_failing_job_is_marked_running_before_its_failure_is_written()
    {
        await using var worker = new WorkerHarness(handlers: new FailingHandler());
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(FailingHandler.TypeName, "x");
        await Eventually.True(() => !worker.Queue.Nacks.IsEmpty, "the first nack");

        var log = worker.Log;
        Assert.True(log.IndexOf($"start:{job.JobId}:1") >= 0 && log.IndexOf($"start:{job.JobId}:1") < log.IndexOf($"fail:{job.JobId}:Queued"), log.ToString());
    }

    [Fact]
    public async Task Jobs_running_at_once_share_their_start_result_ack_and_lease_round_trips()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(
            options => { options.Concurrency = 50; options.ClaimBatchSize = 50; options.RunningMarkAfter = TimeSpan.Zero; },
            queue: options => options.VisibilityTimeout = TimeSpan.FromMilliseconds(300),
            handlers: gate);
        var jobs = new List<JobMessage>();
        for (var i = 0; i < 50; i++)
        {
            jobs.Add(await worker.Queue.AddAsync(GateHandler.DefaultType, $"{i}"));
        }

        await worker.StartAsync();
        await Eventually.True(() => gate.Running == 50, "fifty jobs to run");
        await Eventually.True(() => worker.Queue.RenewCalls.Any(count => count == 50), "one renewal for all fifty");

        // PostgreSQL and Redis held while the jobs finish, so that batching does not depend on how fast the machine
        // is: the calls in flight (two each) wait, and every other job's result, then its ack, waits for the next batch.
        var batches = worker.Services.GetRequiredService<JobBatches>();
        (worker.Store.Stall, worker.Queue.AckHold) = (new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously));
        gate.Release();
        await Eventually.True(() => worker.Store.CompleteCalls.Sum() + batches.Results.Waiting == 50, "every result in a write or waiting for one");
        worker.Store.Stall.SetResult();
        await Eventually.True(() => worker.Queue.AckCalls.Sum() + batches.Acks.Waiting == 50, "every ack in a call or waiting for one");
        worker.Queue.AckHold.SetResult();
        await Eventually.True(() => worker.Queue.Acks.Count == 50, "fifty acks");

        Assert.Equal(50, worker.Store.RunnableCalls.Sum());
        Assert.Equal(50, worker.Store.StartCalls.Sum());   // RunningMarkAfter zero: every job marked as it starts
        Assert.Equal(50, worker.Store.CompleteCalls.Sum());
        Assert.Equal(50, worker.Queue.AckCalls.Sum());
        Assert.True(worker.Store.CompleteCalls.Count < 50, $"{worker.Store.CompleteCalls.Count} result writes for 50 jobs; starts {string.Join(",", worker.Store.StartCalls)}; checks {string.Join(",", worker.Store.RunnableCalls)}");
        Assert.True(worker.Queue.AckCalls.Count < 50, $"{worker.Queue.AckCalls.Count} ack calls for 50 jobs");
        var log = worker.Log;
        Assert.All(jobs, job =>
        {
            Assert.Equal(JobState.Succeeded, worker.Store.States[job.JobId]);
            Assert.True(log.IndexOf($"complete:{job.JobId}") < log.IndexOf($"ack:{job.JobId}"), log.ToString());
        });
    }

    /// <summary>
    /// A claim's jobs start one after another on one thread; once they have kept it past the budget (a handler computing
    /// synchronously), the jobs not yet started start on their own: here job 1 waits on its thread for job 2 to start.
    /// </summary>
    [Fact]
    public async Task Jobs_after_one_that_kept_the_claims_thread_past_the_budget_start_on_their_own()
    {
        using var secondStarted = new ManualResetEventSlim();
        var firstSawSecond = false;
        var handler = new CallbackHandler(
            job =>
            {
                switch (job.Input)
                {
                    case "0":
                        Thread.Sleep(JobConsumer.InTurnBudget * 20);
                        break;
                    case "1":
                        firstSawSecond = secondStarted.Wait(TimeSpan.FromSeconds(10));
                        break;
                    case "2":
                        secondStarted.Set();
                        break;
                }

                return Task.FromResult("done");
            },
            sideEffectFree: true);
        await using var worker = new WorkerHarness(options => { options.Concurrency = 4; options.ClaimBatchSize = 4; }, handlers: handler);
        for (var i = 0; i < 4; i++)
        {
            await worker.Queue.AddAsync(CallbackHandler.TypeName, $"{i}");
        }

        await worker.StartAsync();
        await Eventually.True(() => worker.Queue.Acks.Count == 4, "four acks", TimeSpan.FromSeconds(30));

        Assert.Equal(4, worker.Queue.ClaimRequests.First());
        Assert.Equal(1, worker.Consumer.StartedInTurn);
        Assert.True(firstSawSecond, "job 2 never started while job 1 waited: the jobs after the budget still ran in turn on one thread");
    }

    [Fact]
    public async Task Claim_batch_size_caps_one_claim()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(options => { options.Concurrency = 8; options.ClaimBatchSize = 2; }, handlers: gate);
        for (var i = 0; i < 8; i++)
        {
            await worker.Queue.AddAsync(GateHandler.DefaultType, $"{i}");
        }

        await worker.StartAsync();
        await Eventually.True(() => gate.Running == 8, "eight jobs to run");
        gate.Release();

        Assert.All(worker.Queue.ClaimRequests, wanted => Assert.InRange(wanted, 1, 2));
    }

    [Fact]
    public async Task An_idle_worker_wakes_on_enqueue_not_on_the_fallback_poll()
    {
        await using var worker = new WorkerHarness(options => options.IdlePoll = TimeSpan.FromMinutes(5));
        await worker.StartAsync();
        await Eventually.True(() => worker.Queue.WaitCalls == 1, "the worker to wait for work");

        var clock = Stopwatch.StartNew();
        var job = await worker.Queue.AddAsync(JobTypes.Echo, "now");
        await Eventually.True(() => worker.Queue.AckCount(job.JobId) == 1, "the ack", TimeSpan.FromMinutes(1));

        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"picked up after {clock.Elapsed}, the poll is 5 minutes");
    }

    [Fact]
    public async Task A_claim_that_takes_the_last_jobs_claims_again_after_the_pause_and_only_an_empty_one_waits()
    {
        // The first job enqueues the second while it runs, so within the (longest allowed) pause that follows its claim.
        WorkerHarness? harness = null;
        JobMessage? second = null;
        var enqueuer = new CallbackHandler(async job =>
        {
            second = await harness!.Queue.AddAsync(JobTypes.Echo, "two");
            return "done";
        });
        await using var worker = harness = new WorkerHarness(
            options =>
            {
                options.IdlePoll = TimeSpan.FromMinutes(5);
                options.ClaimPause = TimeSpan.FromSeconds(1);
            },
            handlers: enqueuer);
        await worker.StartAsync();
        await Eventually.True(() => worker.Queue.WaitCalls == 1, "the worker to wait for work");

        await worker.Queue.AddAsync(CallbackHandler.TypeName, "one");
        await Eventually.True(() => second is not null && worker.Queue.AckCount(second.JobId) == 1, "the second job's ack");

        // Woken once, at the start: the second job came with the claim after the pause, not with a wake-up.
        Assert.Equal(1, worker.Queue.WaitCalls);
        // Back to waiting once a claim finds nothing (the fake keeps the second enqueue's wake-up, which nobody took, so
        // the fake may see one more empty claim than Redis, where a claim drops the claimer's registration).
        await Eventually.True(() => worker.Queue.WaitCalls >= 2, "the worker to wait once a claim finds nothing");
    }

    [Fact]
    public async Task A_worker_woken_after_a_long_wait_waits_again_after_its_claim_without_a_pause() =>
        // A wait of more than five pauses before the job: jobs come rarely.
        await OneJobIsClaimedOnceThenTheWorkerWaitsAsync(claimPause: TimeSpan.FromMilliseconds(20), idleFirst: TimeSpan.FromMilliseconds(500));

    [Fact]
    public async Task Without_a_pause_a_claim_that_empties_the_queue_is_followed_by_a_wait_not_by_a_claim_that_finds_nothing() =>
        await OneJobIsClaimedOnceThenTheWorkerWaitsAsync(claimPause: TimeSpan.Zero, idleFirst: TimeSpan.Zero);

    [Fact]
    public async Task Stop_lets_running_jobs_finish_returns_the_ones_over_the_deadline_and_claims_nothing_more()
    {
        var quick = new GateHandler("test-quick");
        var slow = new GateHandler("test-slow");
        await using var worker = new WorkerHarness(
            options => { options.Concurrency = 2; options.DrainTimeout = TimeSpan.FromSeconds(3); },
            handlers: [quick, slow]);
        await worker.StartAsync();
        var finishing = await worker.Queue.AddAsync("test-quick", "a");
        var overrunning = await worker.Queue.AddAsync("test-slow", "b");
        await Eventually.True(() => quick.Running == 1 && slow.Running == 1, "both jobs to run");

        var stopping = worker.StopAsync();
        var late = await worker.Queue.AddAsync(JobTypes.Echo, "after stop");
        quick.Release();
        await stopping.WaitAsync(Eventually.Timeout);

        // Finished within the drain: completed and acked.
        Assert.Equal(JobState.Succeeded, worker.Store.States[finishing.JobId]);
        Assert.Equal(1, worker.Queue.AckCount(finishing.JobId));
        // Over the deadline: cancelled, marked queued, and back in the queue with its attempt unspent (no nack).
        Assert.Equal(JobState.Queued, worker.Store.States[overrunning.JobId]);
        Assert.Equal(JobProcessor.ReturnedReason, Assert.Single(worker.Store.Failures).Reason);
        Assert.Empty(worker.Queue.Nacks);
        var requeued = Assert.Single(worker.Queue.Queued, job => job.JobId == overrunning.JobId);
        Assert.Equal(1, requeued.Attempt);
        Assert.True(worker.Log.IndexOf($"fail:{overrunning.JobId}:Queued") < worker.Log.IndexOf($"ack:{overrunning.JobId}"), worker.Log.ToString());
        // Nothing claimed after the stop. (A claim already on its way when the stop began may still return, so the
        // claim count is no measure; the job enqueued after the stop staying queued is.)
        // It failed about once in 40 runs under load while a slot freed just after the stop could still be granted to
        // the cancelled slot wait (see TakeFreeSlotsAsync).
        Assert.True(worker.Queue.Queued.Any(job => job.JobId == late.JobId),
            $"the job enqueued after the stop ({late.JobId}) was claimed; claims asked for {string.Join(", ", worker.Queue.ClaimRequests)}; log:{Environment.NewLine}{worker.Log}");
        Assert.Equal(0, worker.Queue.Processing);
        Assert.Equal(1, worker.Metrics.Snapshot().Returned);
        Assert.Equal(0, worker.Consumer.Running);
    }

    [Fact]
    public async Task At_the_drain_deadline_a_job_is_nacked_when_postgres_cannot_mark_it_queued()
    {
        await using var worker = new WorkerHarness(options => options.DrainTimeout = TimeSpan.FromMilliseconds(200), handlers: new StubbornHandler());
        await worker.StartAsync();
        var job = await worker.Queue.AddAsync(StubbornHandler.TypeName, "x");
        await Eventually.True(() => worker.Log.IndexOf($"start:{job.JobId}:1") >= 0, "the job to start");

        worker.Store.Down = true;
        await worker.StopAsync().WaitAsync(Eventually.Timeout);

        var nack = Assert.Single(worker.Queue.Nacks);
        Assert.Equal(JobProcessor.ReturnedReason, nack.Reason);
        Assert.Equal(NackOutcome.Requeued, nack.Outcome);
        Assert.Equal(2, Assert.Single(worker.Queue.Queued).Attempt);
    }

    [Fact]
    public async Task A_stop_while_waiting_for_postgres_hands_the_job_back_instead_of_waiting_forever()
    {
        await using var worker = new WorkerHarness(options => options.DrainTimeout = TimeSpan.FromMilliseconds(300));
        await worker.StartAsync();
        worker.Store.Down = true;
        var job = await worker.Queue.AddAsync(JobTypes.Echo, "x");
        await Eventually.True(() => worker.Store.Outages >= 1, "the store retries");

        await worker.StopAsync().WaitAsync(Eventually.Timeout);

        Assert.Empty(worker.Queue.Acks);
        Assert.Equal(job.JobId, Assert.Single(worker.Queue.Nacks).Job.Message.JobId);
        Assert.Equal(0, worker.Queue.Processing);
    }

    [Fact]
    public async Task Long_job_renews_its_lease_every_third_of_the_visibility_timeout()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(queue: options => options.VisibilityTimeout = TimeSpan.FromMilliseconds(300), handlers: gate);
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(GateHandler.DefaultType, "x");
        await Eventually.True(() => worker.Queue.Renewals.GetValueOrDefault(job.JobId) >= 3, "three renewals");
        gate.Release();
        await Eventually.True(() => worker.Queue.AckCount(job.JobId) == 1, "the ack");

        Assert.Equal(JobState.Succeeded, worker.Store.States[job.JobId]);
    }

    [Fact]
    public async Task A_lost_lease_lets_the_run_finish_and_store_its_result_but_does_not_ack()
    {
        var gate = new GateHandler();
        await using var worker = new WorkerHarness(queue: options => options.VisibilityTimeout = TimeSpan.FromMilliseconds(150), handlers: gate);
        worker.Queue.RenewAnswer = _ => false;
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(GateHandler.DefaultType, "x");
        await Eventually.True(() => worker.Queue.Renewals.GetValueOrDefault(job.JobId) >= 1, "the failed renewal");
        gate.Release();
        await Eventually.True(() => worker.Metrics.Snapshot() is { Processed: 1, InFlight: 0 }, "the run to end");

        Assert.Equal(JobState.Succeeded, worker.Store.States[job.JobId]);
        Assert.Empty(worker.Queue.Acks);
        Assert.Empty(worker.Queue.Nacks);
        Assert.Equal(1, worker.Queue.Renewals[job.JobId]);
    }

    [Fact]
    public async Task A_redelivered_job_already_final_is_skipped_and_counted_once()
    {
        var id = Guid.NewGuid();
        await using var worker = new WorkerHarness();
        worker.Store.States[id] = JobState.Succeeded;
        await worker.StartAsync();

        await worker.Queue.AddAsync(JobTypes.Echo, "again", id);
        await Eventually.True(() => worker.Queue.AckCount(id) == 1, "the ack");

        Assert.DoesNotContain($"complete:{id}", worker.Log.Entries);
        Assert.Equal(0, worker.Metrics.Snapshot().Processed);
    }

    [Fact]
    public async Task A_job_over_its_timeout_fails_the_attempt_and_is_retried()
    {
        await using var worker = new WorkerHarness(options => options.JobTimeout = TimeSpan.FromMilliseconds(100), handlers: new StubbornHandler());
        await worker.StartAsync();

        var job = await worker.Queue.AddAsync(StubbornHandler.TypeName, "x");
        await Eventually.True(() => !worker.Queue.Nacks.IsEmpty, "the nack");

        var nack = worker.Queue.Nacks.First();
        Assert.Equal(job.JobId, nack.Job.Message.JobId);
        Assert.Contains("Timed out", nack.Reason, StringComparison.Ordinal);
        Assert.Equal(JobState.Queued, worker.Store.Failures.First().State);
    }

    [Fact]
    public async Task Each_job_continues_the_trace_of_its_message()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var parentSpan = ActivitySpanId.CreateRandom();
        var jobId = Guid.NewGuid();
        var seen = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WorkerTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("job.id") is Guid id && id == jobId)
                {
                    seen.TrySetResult(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var worker = new WorkerHarness();
        await worker.StartAsync();

        await worker.Queue.AddAsync(JobTypes.Hash, "abc", jobId, $"00-{traceId}-{parentSpan}-01");
        var activity = await seen.Task.WaitAsync(Eventually.Timeout);

        Assert.Equal(traceId, activity.TraceId);
        Assert.Equal(parentSpan, activity.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, activity.Kind);
        Assert.Equal("job hash", activity.DisplayName);
        Assert.Equal("succeeded", activity.GetTagItem("job.outcome"));
    }

    [Fact]
    public async Task The_handler_runs_inside_the_trace_of_its_message_listened_to_or_not()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var seen = new TraceRecordingHandler();
        await using var worker = new WorkerHarness(handlers: seen);
        await worker.StartAsync();

        await worker.Queue.AddAsync(TraceRecordingHandler.TypeName, "x", traceParent: $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        await Eventually.True(() => seen.TraceId is not null, "the handler to run");

        Assert.Equal(traceId, seen.TraceId);
    }

    private sealed class TraceRecordingHandler : Handlers.IJobHandler
    {
        public const string TypeName = "test-trace";

        public string Type => TypeName;

        public ActivityTraceId? TraceId { get; private set; }

        public Task<string> HandleAsync(JobMessage job, CancellationToken ct)
        {
            TraceId = Activity.Current?.TraceId;
            return Task.FromResult("ok");
        }
    }

    // The claim at start (it finds the empty queue), then the one that took the job and fewer than it asked for: no
    // pause, no empty claim, and the worker waits again.
    private static async Task OneJobIsClaimedOnceThenTheWorkerWaitsAsync(TimeSpan claimPause, TimeSpan idleFirst)
    {
        await using var worker = new WorkerHarness(options =>
        {
            options.IdlePoll = TimeSpan.FromMinutes(5);
            options.ClaimPause = claimPause;
        });
        await worker.StartAsync();
        await Eventually.True(() => worker.Queue.WaitCalls == 1, "the worker to wait for work");
        await Task.Delay(idleFirst);

        var job = await worker.Queue.AddAsync(JobTypes.Echo, "one");
        await Eventually.True(() => worker.Queue.AckCount(job.JobId) == 1, "the ack");
        await Eventually.True(() => worker.Queue.WaitCalls == 2, "the worker to wait again");

        Assert.Equal(2, worker.Queue.ClaimRequests.Count);
    }
}
