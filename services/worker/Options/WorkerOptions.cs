using System.Globalization;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Options;

/// <summary>Section "Worker": how many jobs a process runs at once and how it waits, drains and asks chat.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>
    /// Jobs one process holds at the same time (running, or waiting for a write). Jobs mostly wait (for PostgreSQL, for
    /// an LLM), so this is far above the core count; CPU-heavy handlers queue for the thread pool's threads.
    /// </summary>
    public int Concurrency { get; set; } = 1024;

    /// <summary>Most jobs taken in one claim round trip; a claim asks for min(free slots, this).</summary>
    public int ClaimBatchSize { get; set; } = 256;

    /// <summary>
    /// The most text of job messages one process holds at once (characters of their stored form; a claim asks for no more
    /// than is left, and waits for running jobs when nothing is). Small jobs never reach it (1,024 of a few hundred bytes);
    /// it bounds memory when they are large: 1,024 inputs of 64 KiB would be 64 MiB of text before their decoded copies,
    /// in a pod of 256 MiB (helper-64's worker ran out of memory decoding claims of them).
    /// </summary>
    public int MaxHeldMessageChars { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// After a claim that took the last jobs waiting, how long the worker pauses before it claims again, when its last
    /// wait for a wake-up lasted less than five times this (jobs arrive that often); otherwise, and after a claim that finds
    /// none, it registers to be woken by the next enqueue. Under a fast flow the jobs enqueued meanwhile come in one
    /// claim, without the wake-up's round trips; a job enqueued into an idle worker is still claimed at once. Zero: wait
    /// to be woken after every claim that emptied the queue.
    /// </summary>
    public TimeSpan ClaimPause { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most jobs one batched write carries (the starts and the results to PostgreSQL: one statement each).</summary>
    public int WriteBatchSize { get; set; } = 500;

    /// <summary>
    /// Result batches (and ack batches) in flight at once; each result batch holds a PostgreSQL connection while it runs,
    /// so this plus three (<see cref="Services.JobBatches.ChecksAndMarksInFlight"/>) must fit in <c>Postgres:MaxPoolSize</c>.
    /// </summary>
    public int WriteConcurrency { get; set; } = 2;

    /// <summary>
    /// A job still running after this long is marked running in PostgreSQL (and its task rolls up to running); one that
    /// ends sooner, as most do, is written once, with its result. Zero marks every job not finished the moment it
    /// starts.
    /// </summary>
    public TimeSpan RunningMarkAfter { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest a handler may run; then it is cancelled and the attempt fails (and is retried).</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Fallback poll when no enqueue notification arrives (a missed notification costs at most this).</summary>
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// On SIGTERM, how long running jobs may take to finish; the rest are cancelled and returned to the queue. Keep it
    /// well below the pod's terminationGracePeriodSeconds (30 s).
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often expired leases are reclaimed; null: a third of the queue's visibility timeout. Jittered.</summary>
    public TimeSpan? ReclaimInterval { get; set; }

    /// <summary>The chat service the <c>llm</c> job type asks (<c>POST {ChatUrl}/chat</c>).</summary>
    public string ChatUrl { get; set; } = "http://localhost:3001";

    /// <summary>Per chat request; a slower answer fails the attempt, which is retried.</summary>
    public TimeSpan ChatTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public IEnumerable<string> Problems()
    {
        if (Concurrency is < 1 or > 8192)
        {
            yield return Invalid(nameof(Concurrency), Concurrency, "between 1 and 8192");
        }

        if (ClaimBatchSize is < 1 or > 1000)
        {
            yield return Invalid(nameof(ClaimBatchSize), ClaimBatchSize, "between 1 and 1000");
        }

        if (ClaimPause < TimeSpan.Zero || ClaimPause > TimeSpan.FromSeconds(1))
        {
            yield return Invalid(nameof(ClaimPause), ClaimPause, "between 00:00:00 and 00:00:01");
        }

        if (MaxHeldMessageChars is < 64 * 1024)
        {
            yield return Invalid(nameof(MaxHeldMessageChars), MaxHeldMessageChars, "at least 65536");
        }

        if (WriteBatchSize is < 1 or > 10_000)
        {
            yield return Invalid(nameof(WriteBatchSize), WriteBatchSize, "between 1 and 10000");
        }

        if (WriteConcurrency is < 1 or > 64)
        {
            yield return Invalid(nameof(WriteConcurrency), WriteConcurrency, "between 1 and 64");
        }

        if (RunningMarkAfter < TimeSpan.Zero || RunningMarkAfter > TimeSpan.FromMinutes(1))
        {
            yield return Invalid(nameof(RunningMarkAfter), RunningMarkAfter, "between 00:00:00 and 00:01:00");
        }

        if (JobTimeout <= TimeSpan.Zero)
        {
            yield return Invalid(nameof(JobTimeout), JobTimeout, "positive");
        }

        if (IdlePoll < TimeSpan.FromMilliseconds(10) || IdlePoll > TimeSpan.FromMinutes(5))
        {
            yield return Invalid(nameof(IdlePoll), IdlePoll, "between 00:00:00.010 and 00:05:00");
        }

        if (DrainTimeout < TimeSpan.Zero || DrainTimeout > TimeSpan.FromMinutes(10))
        {
            yield return Invalid(nameof(DrainTimeout), DrainTimeout, "between 00:00:00 and 00:10:00");
        }

        if (ReclaimInterval is { } reclaim && reclaim < TimeSpan.FromMilliseconds(10))
        {
            yield return Invalid(nameof(ReclaimInterval), reclaim, "at least 00:00:00.010 (or unset)");
        }

        if (!Uri.TryCreate(ChatUrl, UriKind.Absolute, out var chat) || chat.Scheme is not ("http" or "https"))
        {
            yield return $"{SectionName}:{nameof(ChatUrl)} must be an absolute http(s) URL such as http://chat:3001, not '{ChatUrl}'.";
        }

        if (ChatTimeout <= TimeSpan.Zero)
        {
            yield return Invalid(nameof(ChatTimeout), ChatTimeout, "positive");
        }
    }

    private static string Invalid(string name, object value, string rule) =>
        string.Create(CultureInfo.InvariantCulture, $"{SectionName}:{name} must be {rule}, not {value}.");
}

public sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
