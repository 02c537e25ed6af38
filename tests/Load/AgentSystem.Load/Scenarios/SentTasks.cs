using System.Runtime.CompilerServices;
using AgentSystem.Contracts;

namespace AgentSystem.Load.Scenarios;

/// <summary>
/// What an end-to-end phase's steps sent: each task and its step's moment, as plain structs in one list. The list's
/// array holds no references, so the generator's collector neither copies nor scans it. Per-job map entries did both:
/// at half the maximum each gen 0 collection promoted 0.8 MB of them and stopped the generator for 6 to 10 ms, every
/// 220 ms, and the steps it held back were the p99 of the phase (docs/load-history.md, "The generator's own pauses").
/// A step sends whole tasks, so a task's jobs share its moment.
/// </summary>
internal sealed class SentTasks(int capacity)
{
    private readonly Lock _gate = new();
    private readonly List<Sent> _sent = new(capacity);

    /// <summary>True: the entries hold no references (the reason for this class; a test keeps it so).</summary>
    internal static bool FreeOfReferences => !RuntimeHelpers.IsReferenceOrContainsReferences<Sent>();

    /// <param name="at">The step's moment: latency runs from it.</param>
    /// <param name="measured">False for a warm-up step: sent (its rows are not unused) but not measured.</param>
    public void Add(DateTimeOffset at, bool measured, params ReadOnlySpan<JobMessage[]> tasks)
    {
        lock (_gate)
        {
            foreach (var task in tasks)
            {
                _sent.Add(new Sent(task[0].TaskId, at, measured));
            }
        }
    }

    /// <summary>
    /// The measured tasks with their steps' moments, and their jobs' ids (from <paramref name="created"/>, every task the
    /// phase made). Read once no step runs.
    /// </summary>
    public (Dictionary<Guid, DateTimeOffset> Tasks, Guid[] Jobs) Measured(IEnumerable<JobMessage[]> created)
    {
        Dictionary<Guid, DateTimeOffset> tasks;
        lock (_gate)
        {
            tasks = _sent.Where(sent => sent.Measured).ToDictionary(sent => sent.TaskId, sent => sent.At);
        }

        return (tasks, [.. created.Where(task => tasks.ContainsKey(task[0].TaskId)).SelectMany(task => task).Select(job => job.JobId)]);
    }

    /// <summary>The ids of the tasks of <paramref name="created"/> that no step sent, warm-up steps included.</summary>
    public Guid[] NotSent(IEnumerable<JobMessage[]> created)
    {
        HashSet<Guid> sent;
        lock (_gate)
        {
            sent = [.. _sent.Select(sent => sent.TaskId)];
        }

        return [.. created.Select(task => task[0].TaskId).Where(task => !sent.Contains(task))];
    }

    private readonly record struct Sent(Guid TaskId, DateTimeOffset At, bool Measured);
}
