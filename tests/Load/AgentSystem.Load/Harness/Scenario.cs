namespace AgentSystem.Load.Harness;

/// <summary>What one step invocation did: <see cref="Items"/> units of work (jobs, tasks) or an error.</summary>
internal readonly record struct Response(bool IsOk, int Items, string? Error)
{
    public static Response Ok(int items = 1) => new(true, items, null);

    public static Response Fail(string error) => new(false, 0, error);
}

/// <summary>
/// What a step is told: which invocation and copy it is (-1 in the open model), when it was due (open model) or started
/// (a <see cref="System.Diagnostics.Stopwatch"/> timestamp), and whether it is part of the warm-up (not measured).
/// </summary>
internal sealed record StepContext(long Invocation, int Copy, long ScheduledTimestamp, bool WarmUp, CancellationToken CancellationToken)
{
    /// <summary>The wall-clock time of <see cref="ScheduledTimestamp"/>, to compare with times other processes stored.</summary>
    public DateTimeOffset ScheduledAt => Clock.WallOf(ScheduledTimestamp);
}

/// <summary>
/// Stopwatch timestamps to wall-clock time, by the wall clock at the moment of the call: the times stored results are
/// compared with are PostgreSQL's wall clock, which moves with this machine's. Anchored once at start, a run's times
/// drifted from it: a run here measured every stored result 23 s "late" after the wall clock was stepped, and a wall
/// clock slewed by a time service gains or loses milliseconds a second against the monotonic one.
/// </summary>
internal static class Clock
{
    public static DateTimeOffset WallOf(long timestamp) => DateTimeOffset.UtcNow - System.Diagnostics.Stopwatch.GetElapsedTime(timestamp);

    public static DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <summary>
    /// The wall clock less the monotonic one (from an arbitrary origin): how much it changes over a phase is how far the
    /// wall clock was stepped or slewed meanwhile, the error of a latency measured against a stored time then.
    /// </summary>
    public static TimeSpan WallOffset() =>
        (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch) - System.Diagnostics.Stopwatch.GetElapsedTime(0);
}

/// <summary>A unit of work that finished later than its step (a job stored by the worker): started and stored, wall clock.</summary>
internal readonly record struct Completion(DateTimeOffset StartedAt, DateTimeOffset StoredAt);

/// <summary>
/// A check a scenario makes of the system after its run (nothing lost, nothing counted twice), or with
/// <paramref name="Reported"/> a figure it only reports, which passes and reads "reported".
/// </summary>
internal sealed record CheckResult(string Name, bool Passed, string Measured, bool Reported = false)
{
    public static CheckResult Report(string name, string measured) => new(name, Passed: true, measured, Reported: true);

    /// <summary>"passed", "FAILED" or "reported": the result column of every report.</summary>
    public string Outcome => Reported ? "reported" : Passed ? "passed" : "FAILED";
}

/// <summary>
/// A scenario in NBomber's sense: a step run under load simulations, after a warm-up, with thresholds. A scenario whose
/// work finishes outside its step (a job enqueued by the step and stored by the worker) reads the finished work after
/// the run with <see cref="Completions"/>: then latency and rate are those of the finished work, and the step's own
/// duration is reported as the call latency.
/// </summary>
internal sealed record Scenario(string Name, Func<StepContext, ValueTask<Response>> Step)
{
    /// <summary>One line for the report: what is measured.</summary>
    public string Description { get; init; } = "";

    /// <summary>What <see cref="Response.Items"/> counts: "jobs", "tasks".</summary>
    public string Unit { get; init; } = "calls";

    /// <summary>
    /// What one step invocation is, in the plural: the unit the counts of calls and errors are in ("enqueue calls of 100
    /// jobs"), so that 3 failed steps do not read as 3 failed jobs.
    /// </summary>
    public string StepUnit { get; init; } = "calls";

    /// <summary>
    /// The units of work one open-model invocation carries (a task's jobs): the target rate is reported in units, like
    /// the achieved one, while the simulations inject invocations.
    /// </summary>
    public int ItemsPerStep { get; init; } = 1;

    public Func<CancellationToken, Task>? Init { get; init; }

    public Func<CancellationToken, Task>? Clean { get; init; }

    /// <summary>The least warm-up: the runner extends it while a JIT compiler of the run is still busy.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A warm-up run before the scenario was made (claim-ack's calibration, which sized it), reported as its warm-up
    /// when <see cref="WarmUp"/> is zero.
    /// </summary>
    public TimeSpan WarmedUpBeforehand { get; init; }

    /// <summary>
    /// Before each step that extends the warm-up, and before the measured part (not timed): makes ready what the next
    /// part needs, whatever the parts before it used (rows created before they are enqueued).
    /// </summary>
    public Func<CancellationToken, Task>? Ready { get; init; }

    public IReadOnlyList<LoadSimulation> Simulations { get; init; } = [];

    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>
    /// Why this scenario's rate and latency are not judged (queue-kill's wait for leases), or null. The reports then show
    /// both as a reported row beside the checks, so a reader does not look for a threshold that is not there.
    /// </summary>
    public string? RateAndLatencyNotJudged { get; init; }

    /// <summary>After the run: the work the steps started, once finished (waits for it), with start and finish times.</summary>
    public Func<CancellationToken, Task<IReadOnlyList<Completion>>>? Completions { get; init; }

    /// <summary>After the run (and <see cref="Completions"/>): checks of the system's state, reported with the thresholds.</summary>
    public Func<CancellationToken, Task<IReadOnlyList<CheckResult>>>? Verify { get; init; }

    /// <summary>
    /// The reference (redis-benchmark or wrk row) this scenario's rate is shown as a fraction of; an open simulation's
    /// result has none (its rate is the one asked for, and a fraction of a maximum says nothing about it).
    /// </summary>
    public string? Reference { get; init; }

    /// <summary>Runs during the measured part, from its start (a fault injected mid-run, say).</summary>
    public Func<TimeSpan, CancellationToken, Task>? During { get; init; }
}
