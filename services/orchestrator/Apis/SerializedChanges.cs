using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Apis;

/// <summary>
/// The serialized <c>change</c> events to one version of a task from the earlier versions its streams were sent: a few
/// of them, each earlier version held weakly (or every version of a long task would stay alive behind its newest).
/// Worked out outside the lock: streams of one task that were sent different versions do not wait on each other.
/// </summary>
public sealed class SerializedChanges
{
    public const int Kept = 4;

    private readonly Lock _gate = new();
    private readonly List<(WeakReference<TaskRecord> Sent, bool SameJobs, byte[]? Data)> _kept = [];

    /// <summary>
    /// As <see cref="TaskChangeResponse.TryBetween"/> from <paramref name="sent"/> to <paramref name="next"/> (this
    /// instance's version), the change serialized: null when nothing the API shows changed.
    /// </summary>
    public (bool SameJobs, byte[]? Data) From(TaskRecord sent, TaskRecord next, JsonTypeInfo<TaskChangeResponse> json)
    {
        ArgumentNullException.ThrowIfNull(json);
        lock (_gate)
        {
            foreach (var (earlier, sameJobs, data) in _kept)
            {
                if (earlier.TryGetTarget(out var version) && ReferenceEquals(version, sent))
                {
                    return (sameJobs, data);
                }
            }
        }

        var same = TaskChangeResponse.TryBetween(sent, next, out var change);
        var bytes = change is null ? null : JsonSerializer.SerializeToUtf8Bytes(change, json);
        lock (_gate)
        {
            _kept.RemoveAll(entry => !entry.Sent.TryGetTarget(out _));
            if (_kept.Count == Kept)
            {
                _kept.RemoveAt(0);
            }

            _kept.Add((new WeakReference<TaskRecord>(sent), same, bytes));
        }

        return (same, bytes);
    }
}
