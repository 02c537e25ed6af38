using System.Diagnostics;
using System.Globalization;
using AgentSystem.Contracts;
using AgentSystem.Load.Harness;
using AgentSystem.Load.References;
using AgentSystem.Queue;

namespace AgentSystem.Load.Scenarios;

/// <summary>
/// Scenarios 1 and 2: the queue client alone against Redis, on keys of their own (the workers never see them), each
/// beside the redis-benchmark row of the same script at the same client count.
/// </summary>
internal static class QueueScenarios
{
    public const string Enqueue = LoadArguments.Enqueue;
    public const string ClaimAck = LoadArguments.ClaimAck;

    /// <summary>Jobs one claim takes (and one ack settles) in claim-ack, as a worker's claim batch does.</summary>
    public const int ClaimBatch = 16;

    /// <summary>Jobs a calibration drains, and the fewest claim-ack measures.</summary>
    public const long CalibrationJobs = 20_000;

    /// <summary>The most jobs claim-ack pre-fills: about 300 MB of Redis.</summary>
    public const long MostClaimJobs = 1_000_000;

    /// <summary>The seconds claim-ack's pre-fill is sized for: --duration's, at least one.</summary>
    public static double ClaimSeconds(TimeSpan duration) => Math.Max(1, duration.TotalSeconds);

    /// <summary>
    /// Claim-ack's measured work in its closed phase: enough pre-filled jobs to last <see cref="ClaimSeconds"/> at the
    /// calibrated rate, within [CalibrationJobs, MostClaimJobs], in whole claims (a remainder would be left queued).
    /// A fixed 20,000 per second of --duration lasted a seventh of it at 140,000 jobs/s.
    /// </summary>
    public static long ClaimJobs(double jobsPerSecond, TimeSpan duration)
    {
        var jobs = double.IsFinite(jobsPerSecond)
            ? (long)Math.Clamp(Math.Ceiling(jobsPerSecond * ClaimSeconds(duration)), CalibrationJobs, MostClaimJobs)
            : CalibrationJobs;
        return jobs / ClaimBatch * ClaimBatch;
    }

    /// <summary>
    /// The rate, in jobs/s, at which <paramref name="copies"/> claim-ack loops drain CalibrationJobs jobs, in the last of
    /// rounds that claim for <paramref name="warmUp"/> in all (two rounds at least): the first rounds run code not yet
    /// fully compiled (2.3 times slower in a trial). An estimate for sizing the phase, not a measurement of it; and
    /// claim-ack's warm-up, with the phase's copies, so the scenario has none of its own. Claimed is how long the rounds
    /// claimed, their fills left out.
    /// </summary>
    public static async Task<(double Rate, TimeSpan Claimed)> CalibrateClaimAsync(IJobQueue queue, int copies, TimeSpan warmUp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var rate = 0.0;
        var draining = TimeSpan.Zero;
        for (var round = 0; round < 2 || draining < warmUp; round++)
        {
            await FillAsync(queue, CalibrationJobs, cancellationToken);
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => Task.Run(async () =>
            {
                while (await queue.ClaimAsync(ClaimBatch, cancellationToken) is { Count: > 0 } claimed)
                {
                    await queue.AckAsync(claimed, cancellationToken);
                }
            }, cancellationToken)));
            rate = CalibrationJobs / watch.Elapsed.TotalSeconds;
            draining += watch.Elapsed;
        }

        return (rate, draining);
    }

    /// <summary>1. Enqueue only: one job per call (closed: from <c>clients</c> copies on one multiplexer).</summary>
    public static Scenario EnqueueOnly(QueueClient client, LoadOptions options, string name, LoadSimulation simulation)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        var queue = client.Queue;
        return new Scenario(name, async context =>
        {
            var task = Guid.NewGuid();
            var pushed = await queue.EnqueueAsync([new JobMessage(Guid.NewGuid(), task, JobTypes.Echo, StoredWork.Input, 1, null)], context.CancellationToken);
            return pushed == 1 ? Response.Ok() : Response.Fail($"enqueue pushed {pushed} of 1");
        })
        {
            Description = "IJobQueue.EnqueueAsync of one job per call (the enqueue script), every caller on one multiplexer",
            Unit = "jobs",
            StepUnit = "enqueue calls of 1 job",
            WarmUp = options.WarmUp,
            Simulations = [simulation],
            Thresholds = Threshold.Loose(simulation, closedFloor: 500),
            Reference = RedisBenchmark.EnqueueName(1),
            Clean = client.DeleteKeysAsync,
        };
    }

    /// <summary>
    /// 2. Claim and acknowledge only, from a queue pre-filled with <paramref name="jobs"/> jobs: claims of up to 16,
    /// each batch acknowledged in one call. No warm-up of its own: <paramref name="warmedUp"/> is the calibration's
    /// (<see cref="CalibrateClaimAsync"/>), which sized it, so the measured part has exactly the pre-filled jobs.
    /// </summary>
    public static Scenario ClaimAndAck(QueueClient client, string name, LoadSimulation simulation, long jobs, TimeSpan warmedUp)
    {
        ArgumentNullException.ThrowIfNull(client);
        var queue = client.Queue;
        return new Scenario(name, async context =>
        {
            var claimed = await queue.ClaimAsync(ClaimBatch, context.CancellationToken);
            if (claimed.Count == 0)
            {
                return Response.Fail("the queue was empty");
            }

            await queue.AckAsync(claimed, context.CancellationToken);
            return Response.Ok(claimed.Count);
        })
        {
            Description = $"IJobQueue.ClaimAsync of up to {ClaimBatch} jobs, then AckAsync of them (two scripts), from a queue pre-filled with {jobs:N0} jobs",
            Unit = "jobs",
            StepUnit = $"claim + ack calls of up to {ClaimBatch} jobs",
            ItemsPerStep = ClaimBatch,
            WarmUp = TimeSpan.Zero,
            WarmedUpBeforehand = warmedUp,
            Init = cancellationToken => FillAsync(queue, jobs, cancellationToken),
            Simulations = [simulation],
            Thresholds = Threshold.Loose(simulation, closedFloor: 500),
            Verify = async cancellationToken =>
            {
                var stats = await queue.GetStatsAsync(cancellationToken);
                return [new CheckResult("queue empty afterwards", stats == new QueueStats(0, 0, 0),
                    string.Create(CultureInfo.InvariantCulture, $"queued {stats.Queued}, processing {stats.Processing}, dead {stats.DeadLettered}"))];
            },
            Reference = RedisBenchmark.ClaimName(1),
            Clean = client.DeleteKeysAsync,
        };
    }

    /// <summary>Enqueues <paramref name="jobs"/> jobs in calls of 500, four at a time (not measured).</summary>
    public static async Task FillAsync(IJobQueue queue, long jobs, CancellationToken cancellationToken)
    {
        const int Batch = 500;
        var task = Guid.NewGuid();
        long next = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var start = Interlocked.Add(ref next, Batch) - Batch; start < jobs; start = Interlocked.Add(ref next, Batch) - Batch)
            {
                var count = (int)Math.Min(Batch, jobs - start);
                await queue.EnqueueAsync([.. Enumerable.Range(0, count).Select(_ => new JobMessage(Guid.NewGuid(), task, JobTypes.Echo, StoredWork.Input, 1, null))], cancellationToken);
            }
        }, cancellationToken)));
    }
}
