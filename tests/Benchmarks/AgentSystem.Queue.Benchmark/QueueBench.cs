using System.Collections.Concurrent;
using System.Diagnostics;
using AgentSystem.Contracts;

namespace AgentSystem.Queue.Benchmark;

/// <summary>One phase's figures: calls and jobs per second of wall time.</summary>
internal sealed record Phase(int Calls, int Jobs, TimeSpan Elapsed)
{
    public double CallsPerSecond => Calls / Elapsed.TotalSeconds;

    public double JobsPerSecond => Jobs / Elapsed.TotalSeconds;
}

internal sealed record Cycle(Phase Enqueue, Phase Claim, Phase Ack);

/// <summary>
/// Drives one <see cref="IJobQueue"/> from <c>clients</c> concurrent callers: enqueue N jobs in batches, claim them all
/// in batches, ack each one, and checks that the queue is empty again, so every figure is of work really done.
/// </summary>
internal sealed class QueueBench(IJobQueue queue, int clients)
{
    private const int WarmUpJobs = 2_000;

    /// <summary>Loads the scripts and JITs the paths; returns a stored message, whose size the reference copies.</summary>
    public async Task<string> WarmUpAsync(IEnumerable<int> batches)
    {
        var sample = string.Empty;
        foreach (var batch in batches)
        {
            await CycleAsync(WarmUpJobs, batch, claimed => sample = claimed.Raw);
        }

        return sample;
    }

    public Task<Cycle> CycleAsync(int jobs, int batch) => CycleAsync(jobs, batch, null);

    private async Task<Cycle> CycleAsync(int count, int batch, Action<ClaimedJob>? inspect)
    {
        var task = Guid.NewGuid();
        var jobs = Enumerable.Range(0, count)
            .Select(i => new JobMessage(Guid.NewGuid(), task, JobTypes.WordCount, $"benchmark job {i} of {count}", 1, null))
            .ToArray();

        var next = 0;
        var pushed = 0;
        var enqueue = await TimeAsync(async () =>
        {
            var calls = 0;
            for (var start = Interlocked.Add(ref next, batch) - batch; start < count; start = Interlocked.Add(ref next, batch) - batch)
            {
                Interlocked.Add(ref pushed, await queue.EnqueueAsync(jobs[start..Math.Min(start + batch, count)], CancellationToken.None));
                calls++;
            }

            return calls;
        });
        Expect(pushed == count, $"enqueued {pushed} of {count}");

        var claimed = new ConcurrentQueue<ClaimedJob>();
        var claim = await TimeAsync(async () =>
        {
            var calls = 0;
            while (true)
            {
                var taken = await queue.ClaimAsync(batch, CancellationToken.None);
                calls++;
                if (taken.Count == 0)
                {
                    return calls;
                }

                foreach (var job in taken)
                {
                    claimed.Enqueue(job);
                }
            }
        });
        Expect(claimed.Count == count, $"claimed {claimed.Count} of {count}");
        if (inspect is not null && claimed.TryPeek(out var first))
        {
            inspect(first);
        }

        var ack = await TimeAsync(async () =>
        {
            var calls = 0;
            while (claimed.TryDequeue(out var job))
            {
                await queue.AckAsync([job], CancellationToken.None);
                calls++;
            }

            return calls;
        });
        var stats = await queue.GetStatsAsync(CancellationToken.None);
        Expect(stats == new QueueStats(0, 0, 0), $"the queue is not empty after the cycle: {stats}");

        return new Cycle(enqueue with { Jobs = count }, claim with { Jobs = count }, ack with { Jobs = count });
    }

    // Starts every caller at once; the phase ends when the last one is done.
    private async Task<Phase> TimeAsync(Func<Task<int>> caller)
    {
        var watch = Stopwatch.StartNew();
        var calls = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(caller)));
        return new Phase(calls.Sum(), 0, watch.Elapsed);
    }

    private static void Expect(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Benchmark invalid: " + failure);
        }
    }
}
