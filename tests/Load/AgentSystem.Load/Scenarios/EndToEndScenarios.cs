using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AgentSystem.Contracts;
using AgentSystem.Load.Harness;
using AgentSystem.Load.References;
using AgentSystem.Load.UnderTest;
using StackExchange.Redis;

namespace AgentSystem.Load.Scenarios;

/// <summary>
/// Scenario 3, end to end through the queue: the load run creates tasks of five echo jobs in PostgreSQL as the
/// orchestrator would (before they are enqueued, with COPY, so the insert is not what is measured), enqueues their jobs through the
/// project's queue client, the real worker processes run them and store the results; latency runs from enqueue to the
/// stored result (the row's finished_at, the moment the worker wrote it). Three phases: the maximum (closed: copies
/// each enqueue a batch of tasks and wait for them to be final), the latency at a rate (open: half the maximum unless
/// --rate), and the same rate while a worker is SIGKILLed and restarted, checked in PostgreSQL and Redis afterwards.
/// </summary>
internal sealed class EndToEndScenarios(LoadSystem system, QueueClient client, LoadOptions options, Action<string> log)
{
    private readonly LoadSystem _system = system;
    private readonly Action<string> _log = log;

    public const string Max = LoadArguments.EndToEnd;
    public const string AtRate = Max + LoadArguments.OpenPhaseSuffix;
    public const string Kill = LoadArguments.KillPhase;

    public const int JobsPerTask = 5;

    /// <summary>Closed phase: tasks each copy enqueues in one call and waits for.</summary>
    private const int TasksPerStep = 20;

    /// <summary>The jobs of one enqueue call of the closed phase.</summary>
    public const int JobsPerCall = TasksPerStep * JobsPerTask;

    /// <summary>
    /// The closed phase's rows are sized for this rate (jobs/s) at least, and for half as much again as the last step of
    /// its warm-up made (<see cref="RowsRate"/>): a phase that outran its rows waited for more, and one such CI run
    /// measured 17,892 jobs/s over 6.9 s where its steps had run at over 40,000 (docs/load-history.md). A short warm-up is mostly
    /// the JIT's, hence the floor.
    /// </summary>
    private const int AssumedMaxRate = 50_000;

    private const double WarmUpHeadroom = 1.5;

    /// <summary>Ten times the floor: no 2-core machine comes near it, and a bad estimate cannot ask for billions of rows.</summary>
    private const int MaxRowsRate = 10 * AssumedMaxRate;

    /// <summary>
    /// The rate (jobs/s) a closed phase's rows are sized for, given what the last step of its warm-up completed in how
    /// long: half as much again, at least <paramref name="floor"/>, at most <see cref="MaxRowsRate"/>.
    /// </summary>
    internal static double RowsRate(double floor, long warmUpJobs, TimeSpan warmUpStep) =>
        warmUpJobs <= 0 || warmUpStep <= TimeSpan.Zero
            ? floor
            : Math.Clamp(WarmUpHeadroom * warmUpJobs / warmUpStep.TotalSeconds, floor, Math.Max(floor, MaxRowsRate));

    /// <summary>
    /// Rows for at most this much of a phase are created before it; a longer run creates the rest while it runs
    /// (<see cref="TaskSupply"/>), in chunks of <see cref="Chunk"/>.
    /// </summary>
    private static readonly TimeSpan UpFront = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Chunk = TimeSpan.FromSeconds(10);

    private readonly StoredWork _stored = new(system.Database);

    /// <summary>Copies of the closed phase: with 100 jobs each, enough to keep every worker's claims full.</summary>
    public int Copies { get; init; } = 32;

    public Scenario Maximum()
    {
        var phase = new Phase(this, Max, killed: false, AssumedMaxRate, options.WarmUp, options.Duration) { GrowsWithWarmUp = true };
        var watcher = new TaskWatcher(_stored, client.Signals);
        return new Scenario(Max, async context =>
        {
            var tasks = await phase.TakeTasksAsync(TasksPerStep, context.CancellationToken);
            var jobs = tasks.SelectMany(task => task).ToArray();
            var final = watcher.WaitAsync(tasks, context.CancellationToken);
            phase.Started(Clock.Now, context.WarmUp, tasks);
            await client.Queue.EnqueueAsync(jobs, context.CancellationToken);
            await final;
            phase.Completed(jobs.Length, context.WarmUp);
            return Response.Ok(jobs.Length);
        })
        {
            Description = $"tasks of {JobsPerTask} echo jobs, {TasksPerStep} tasks ({JobsPerCall} jobs) per enqueue call, each copy waiting until its tasks are final; "
                + $"{options.Workers} worker processes; latency from enqueue to the stored result",
            Unit = "jobs",
            StepUnit = $"enqueue calls of {JobsPerCall} jobs",
            WarmUp = options.WarmUp,
            Simulations = [Simulation.KeepConstant(Copies, options.Duration)],
            Thresholds = [Threshold.ErrorRateBelow(0.01), Threshold.RateAtLeast(50)],   // loose: catches a broken path, not a slow one
            // Redis's own limit for putting jobs in the queue by calls of as many jobs, pipelined as the copies' calls are
            // on their shared connection: the whole path against it.
            Reference = RedisBenchmark.EnqueueManyName(JobsPerCall, RedisBenchmark.Pipelined),
            Init = async cancellationToken =>
            {
                await phase.InitAsync(cancellationToken);
                await watcher.StartAsync(cancellationToken);
            },
            Ready = phase.ReadyAsync,
            Completions = phase.CompletionsAsync,
            Verify = phase.VerifyAsync,
            Clean = async cancellationToken =>
            {
                await watcher.DisposeAsync();
                await phase.CleanAsync(cancellationToken);
            },
        };
    }

    /// <summary>
    /// The kill phase's jobs take a little time, so the killed worker always holds jobs it has not stored (echo jobs are
    /// stored within milliseconds of their claim, and a kill between batches left nothing to deliver again).
    /// </summary>
    private static readonly (string Type, string Input) KillWork = (JobTypes.Sleep, "20");

    /// <summary>
    /// The open phases: one task's jobs enqueued per invocation, <paramref name="rate"/> jobs/s in all; with
    /// <paramref name="kill"/> a worker is killed halfway. A task per call is what a quiet producer sends (a busy
    /// orchestrator gathers concurrent tasks into one call; tried here, it saved nothing: docs/load-history.md): single-job
    /// calls cost more CPU per job (171 against 122 to 151 µs in all, measured), and at half the closed phase's maximum
    /// (which enqueues 100 jobs per call) they saturated the 2-core machine (docs/load-history.md).
    /// </summary>
    public Scenario Rate(string name, double rate, bool kill)
    {
        // 5 % more than the schedule: the injector may start a few more steps than the rate times the time.
        var phase = new Phase(this, name, kill, rate * 1.05, options.WarmUp, options.Duration);
        var scenario = new Scenario(name, async context =>
        {
            var task = await phase.TakeTaskAsync(context.CancellationToken);
            phase.Started(context.ScheduledAt, context.WarmUp, task);
            await client.Queue.EnqueueAsync(task, context.CancellationToken);
            return Response.Ok(task.Length);
        })
        {
            Description = $"tasks of {JobsPerTask} {(kill ? "sleep " + KillWork.Input + " ms" : "echo")} jobs, one task per enqueue call, at a constant rate; "
                + $"{options.Workers} worker processes; latency from the scheduled enqueue to the stored result",
            Unit = "jobs",
            StepUnit = $"enqueue calls of {JobsPerTask} jobs",
            ItemsPerStep = JobsPerTask,
            WarmUp = options.WarmUp,
            Simulations = [Simulation.Inject(rate / JobsPerTask, TimeSpan.FromSeconds(1), options.Duration)],
            Thresholds = kill ? [] : [Threshold.ErrorRateBelow(0.01), Threshold.LatencyBelow(99, 5000)],
            Init = phase.InitAsync,
            Ready = phase.ReadyAsync,
            Completions = phase.CompletionsAsync,
            Verify = phase.VerifyAsync,
            Clean = phase.CleanAsync,
        };
        return kill
            ? scenario with
            {
                Description = scenario.Description + $"; worker-{options.Workers} SIGKILLed halfway (the others paused {VictimAlone.TotalMilliseconds:0} ms before, so it holds jobs) and restarted 1 s later; "
                    + "afterwards every job must be stored once and the queue empty",
                RateAndLatencyNotJudged = "the sleeping jobs, the killed worker and its jobs' leases (expiring after the visibility timeout) hold both back",
                During = KillHalfwayAsync,
            }
            : scenario;
    }

    /// <summary>
    /// How long the other workers pause before the kill, so that the victim claims every job meanwhile: at a low rate
    /// one worker can take them all, and a killed worker held nothing in one run (0 delivered again) however long the
    /// jobs were. A paused worker may still be woken for one enqueue (it stays registered as idle and subscribed); the
    /// victim finds that job at its next claim.
    /// </summary>
    private static readonly TimeSpan VictimAlone = TimeSpan.FromMilliseconds(300);

    private async Task KillHalfwayAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        await Task.Delay(duration / 2, cancellationToken);
        var victim = _system.Workers[^1];
        var others = _system.Workers.SkipLast(1).ToList();
        _log($"{Kill}: {string.Join(", ", others.Select(o => o.Name))} paused (SIGSTOP) for {VictimAlone.TotalMilliseconds:0} ms, then SIGKILL {victim.Name} (pid {victim.ProcessId})");
        others.ForEach(other => other.Pause());
        try
        {
            await Task.Delay(VictimAlone, CancellationToken.None);
            victim.Kill();
        }
        finally
        {
            others.ForEach(other => other.Resume());
        }

        await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
        victim.Restart($"{Kill} SIGKILLed it 1 s before, on purpose");
    }

    /// <summary>
    /// One phase's rows: created (up front, or while a long phase runs), handed to the steps, read back and checked
    /// afterwards. What the steps sent (<see cref="SentTasks"/>) is sized for the whole phase: growing, it copies itself.
    /// </summary>
    private sealed class Phase : IAsyncDisposable
    {
        private static readonly TimeSpan CleanTimeout = TimeSpan.FromMinutes(5);

        private readonly EndToEndScenarios _owner;
        private readonly bool _killed;
        private readonly double _rate;
        private readonly TimeSpan _duration;
        private readonly TaskSupply _supply;
        private readonly ConcurrentBag<JobMessage[]> _created = [];
        private readonly SentTasks _sent;
        private IReadOnlyList<StoredJob> _read = [];
        private int _measuredJobs;
        private IReadOnlyDictionary<string, (int ProcessId, long Count)> _reclaimedBefore = new Dictionary<string, (int ProcessId, long Count)>();
        private long _warmUpJobs;
        private long _warmUpFirstStep;
        private double _sizedFor;
        private (int Takes, TimeSpan Time) _waitedBefore;

        /// <param name="rate">Jobs per second the rows are sized for.</param>
        /// <param name="warmUp">The scenario's warm-up; the runner may extend it, and the rows are sized anew before the measured part.</param>
        public Phase(EndToEndScenarios owner, string name, bool killed, double rate, TimeSpan warmUp, TimeSpan duration)
        {
            (_owner, _killed, _rate, _duration, _sizedFor) = (owner, killed, rate, duration, rate);
            var length = warmUp + duration;
            var jobs = Jobs(rate, length);
            _sent = new SentTasks(Tasks(Jobs(rate, length + ScenarioRunner.MaxSettle)));
            _supply = new TaskSupply(
                CreateAsync, total: Tasks(jobs), upFront: Tasks(Jobs(rate, AtMostUpFront(length))), chunk: Tasks(Jobs(rate, Chunk)),
                line => owner._log($"{name}: {line}"));
        }

        /// <summary>The rows created before the phase; a kill phase also notes the workers' reclaim count it starts from.</summary>
        public async Task InitAsync(CancellationToken cancellationToken)
        {
            await _supply.FillAsync(cancellationToken);
            if (_killed)
            {
                _reclaimedBefore = await _owner._system.ReclaimedAsync(cancellationToken);
            }
        }

        /// <summary>
        /// The rows are sized by <see cref="RowsRate"/> from the warm-up's last step (the whole warm-up when it was not
        /// extended), since a warm-up's start is slowed by the JIT: a closed phase, which runs as fast as the system does.
        /// </summary>
        public bool GrowsWithWarmUp { get; init; }

        /// <summary>
        /// Before a step that extends the warm-up and before the measured part, however many rows the parts before took:
        /// rows for a measured part's length, created before it as in <see cref="InitAsync"/>.
        /// </summary>
        public Task ReadyAsync(CancellationToken cancellationToken)
        {
            // No step runs now (the runner calls this between steps), so the two reads see one step's counts.
            var warmUpJobs = Interlocked.Exchange(ref _warmUpJobs, 0);
            var firstStep = Interlocked.Exchange(ref _warmUpFirstStep, 0);
            if (GrowsWithWarmUp && firstStep != 0)
            {
                _sizedFor = Math.Max(_sizedFor, RowsRate(_rate, warmUpJobs, Stopwatch.GetElapsedTime(firstStep)));
            }

            _waitedBefore = _supply.Waited;
            return _supply.ReadyForAsync(Tasks(Jobs(_sizedFor, _duration)), Tasks(Jobs(_sizedFor, AtMostUpFront(_duration))), cancellationToken);
        }

        /// <summary>Whole tasks (closed phase).</summary>
        public async Task<JobMessage[][]> TakeTasksAsync(int count, CancellationToken cancellationToken)
        {
            var taken = new JobMessage[count][];
            for (var i = 0; i < count; i++)
            {
                taken[i] = await TakeTaskAsync(cancellationToken);
            }

            return taken;
        }

        /// <summary>One task's jobs: at once unless the rows ran out and the next chunk is still being created.</summary>
        public ValueTask<JobMessage[]> TakeTaskAsync(CancellationToken cancellationToken) => _supply.TakeAsync(cancellationToken);

        private static TimeSpan AtMostUpFront(TimeSpan length) => length < UpFront ? length : UpFront;

        private static int Jobs(double rate, TimeSpan length) => (int)Math.Ceiling(rate * length.TotalSeconds) + 100;

        private static int Tasks(int jobs) => (jobs + JobsPerTask - 1) / JobsPerTask;

        private async Task<IReadOnlyList<JobMessage[]>> CreateAsync(int tasks, CancellationToken cancellationToken)
        {
            var created = await _owner._stored.CreateAsync(tasks, JobsPerTask, _killed ? KillWork : StoredWork.Echo, cancellationToken);
            foreach (var task in created)
            {
                _created.Add(task);
            }

            return created;
        }

        /// <summary>A closed step's jobs are final: a warm-up step's count toward the rate its rows are sized by.</summary>
        public void Completed(int jobs, bool warmUp)
        {
            if (warmUp)
            {
                Interlocked.Add(ref _warmUpJobs, jobs);
            }
        }

        /// <summary>A step is about to enqueue these tasks; latency runs from <paramref name="at"/>.</summary>
        public void Started(DateTimeOffset at, bool warmUp, params ReadOnlySpan<JobMessage[]> tasks)
        {
            if (warmUp)
            {
                Interlocked.CompareExchange(ref _warmUpFirstStep, Stopwatch.GetTimestamp(), 0);
            }

            _sent.Add(at, measured: !warmUp, tasks);
        }

        public async Task<IReadOnlyList<Completion>> CompletionsAsync(CancellationToken cancellationToken)
        {
            var (measured, jobs) = _sent.Measured(_created);
            _measuredJobs = jobs.Length;
            // A job the killed worker held comes back after its lease expires and the reclaimer's next pass.
            var wait = (LoadSystem.VisibilityTimeout * 3) + TimeSpan.FromSeconds(30);
            await _owner._stored.WaitFinalAsync(jobs, wait, cancellationToken);
            _read = await _owner._stored.ReadJobsAsync(measured.Keys, cancellationToken);
            return [.. _read.Where(job => job.FinishedAt is not null).Select(job => new Completion(measured[job.TaskId], job.FinishedAt!.Value))];
        }

        /// <summary>Every enqueued job stored once with its result, none dead or failed, and the queue holding nothing.</summary>
        public async Task<IReadOnlyList<CheckResult>> VerifyAsync(CancellationToken cancellationToken)
        {
            var enqueued = _measuredJobs;
            var succeeded = _read.Count(job => job.Status == "succeeded" && job.Result == job.Input);
            var other = _read.Where(job => job.Status != "succeeded").GroupBy(job => job.Status).Select(g => $"{g.Count()} {g.Key}");
            var ranAgain = _read.Count(job => job.Attempts >= 2);
            var left = await QueueLeftAsync(cancellationToken);
            // Delivered again is what the reclaimers put back, not only what ran again: a result batch the killed worker
            // had sent can still commit after the kill (PostgreSQL finishes what it received), and then the jobs come
            // back, are found stored and are skipped (one CI run: all stored, 0 ran again).
            var (deliveredAgain, unread) = _killed ? await DeliveredAgainAsync(cancellationToken) : (0, null);
            var waitedNow = _supply.Waited;
            var (waits, waited) = (waitedNow.Takes - _waitedBefore.Takes, waitedNow.Time - _waitedBefore.Time);
            return
            [
                new("every enqueued job stored once, with its result", succeeded == enqueued && _read.Count == enqueued,
                    $"{Figures.Format(succeeded, decimals: false)} of {Figures.Format(enqueued, decimals: false)} succeeded with their own result{string.Concat(other.Select(o => ", " + o))}"
                    + (ranAgain > 0 ? $"; {Figures.Format(ranAgain, decimals: false)} of them ran twice (delivered again), each stored once" : "")),
                .. _killed
                    ? new CheckResult[]
                    {
                        new("the killed worker's jobs delivered again", unread is null && deliveredAgain > 0, unread ??
                            $"{Figures.Format(deliveredAgain, decimals: false)} put back after their lease expired, {Figures.Format(ranAgain, decimals: false)} of them ran again"
                            + (ranAgain < deliveredAgain ? " (the others were stored already and skipped)" : string.Empty)),
                    }
                    : [],
                new("queue, leases, known ids and dead letters empty afterwards", left.All(count => count == 0),
                    string.Create(CultureInfo.InvariantCulture, $"queued {left[0]}, leased {left[1]}, known {left[2]}, dead {left[3]}")),
                .. waits > 0
                    ? new[]
                    {
                        // Not a failure of the system: the harness made too few rows. A closed step's latency starts after
                        // its rows were taken, an open step's at its scheduled moment.
                        CheckResult.Report("rows made before the phase for every step",
                            $"{Figures.Format(waits, decimals: false)} steps waited {waited.TotalSeconds:0.0} s in all for rows made during the phase (sized for "
                            + $"{Figures.Format(_sizedFor, decimals: false)} jobs/s): "
                            + (GrowsWithWarmUp ? "the rate is understated" : "the latency is overstated")),
                    }
                    : [],
            ];
        }

        /// <summary>What the reclaimers put back since the phase began; or, when a worker cannot say (the restarted one exited), why.</summary>
        private async Task<(long Count, string? Unread)> DeliveredAgainAsync(CancellationToken cancellationToken)
        {
            try
            {
                return (LoadSystem.ReclaimedSince(_reclaimedBefore, await _owner._system.ReclaimedAsync(cancellationToken)), null);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException)
            {
                return (0, $"not counted: {e.Message.Split('\n')[0].Trim().TrimEnd(':')} (its log: artifacts/load/service-logs)");
            }
        }

        /// <summary>
        /// What Redis still holds: queued, leased, known ids, dead letters. A killed worker's jobs whose results it
        /// committed but never acknowledged stay leased until their lease expires and a reclaimed copy is skipped and
        /// acknowledged, so this waits (as long as <see cref="CompletionsAsync"/> may) for the queue to settle.
        /// </summary>
        private async Task<long[]> QueueLeftAsync(CancellationToken cancellationToken)
        {
            var redis = _owner._system.Redis.GetDatabase();
            var prefix = LoadSystem.QueuePrefix;
            var deadline = DateTime.UtcNow + (LoadSystem.VisibilityTimeout * 3) + TimeSpan.FromSeconds(30);
            while (true)
            {
                var left = await Task.WhenAll(
                    redis.ListLengthAsync(prefix + "queue"), redis.SortedSetLengthAsync(prefix + "processing"),
                    redis.SetLengthAsync(prefix + "known"), redis.ListLengthAsync(prefix + "dead"));
                if (left.All(count => count == 0) || DateTime.UtcNow > deadline)
                {
                    return left;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }

        /// <summary>Stops creating rows, then deletes those never enqueued.</summary>
        public async Task CleanAsync(CancellationToken cancellationToken)
        {
            await DisposeAsync();
            await DeleteUnusedAsync(cancellationToken);
        }

        /// <summary>Stops a chunk of rows being created and waits for it (once; later calls do nothing).</summary>
        public ValueTask DisposeAsync() => _supply.DisposeAsync();

        /// <summary>
        /// Rows created but never enqueued would be found by the orchestrator's dispatcher a minute later and run in a
        /// later scenario: delete them, by the ids the phase knows: the tasks no step sent (a step sends whole tasks).
        /// Asking PostgreSQL instead which tasks had no jobs left joined every job of the run, a million rows after a 10 s
        /// phase: 5 to 7 s on a busy machine, and twice over Npgsql's 30 s timeout, so the statements have a longer one.
        /// </summary>
        private async Task DeleteUnusedAsync(CancellationToken cancellationToken)
        {
            var taskIds = _sent.NotSent(_created);
            await using var batch = _owner._system.Database.CreateBatch();
            batch.Timeout = (int)CleanTimeout.TotalSeconds;
            // Each job before its dispatch row, the order the services' writers take them in.
            batch.BatchCommands.Add(Delete(WithDispatchRows("DELETE FROM jobs WHERE task_id = ANY($1)"), taskIds));
            batch.BatchCommands.Add(Delete("DELETE FROM tasks WHERE id = ANY($1)", taskIds));
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        private static string WithDispatchRows(string deleteJobs) =>
            $"WITH gone AS ({deleteJobs} RETURNING id) DELETE FROM job_dispatch WHERE job_id IN (SELECT id FROM gone)";

        private static Npgsql.NpgsqlBatchCommand Delete(string sql, Guid[] ids) =>
            new(sql) { Parameters = { new Npgsql.NpgsqlParameter<Guid[]> { TypedValue = ids } } };
    }
}
