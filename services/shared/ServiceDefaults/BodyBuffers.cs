namespace AgentSystem.ServiceDefaults;

/// <summary>
/// The memory a process lends to request bodies still arriving, past each body's first buffer: a budget, so that
/// clients holding many large bodies open (each within the size limit and the minimum rate) cannot take more than it
/// together (helper-92: 100 held bodies of 8 MiB took the orchestrator from 91 MB to 1.1 GB). Small bodies, the usual
/// task of a few jobs, never need it.
/// </summary>
public sealed class BodyBuffers(long budget)
{
    /// <summary>Eight bodies of the largest size at once; a pod has 256 MiB (k8s/base).</summary>
    public const long DefaultBudget = 64L * 1024 * 1024;

    private long _taken;

    /// <summary>The process's budget, which every body reader shares.</summary>
    public static BodyBuffers Shared { get; } = new(DefaultBudget);

    public long Budget { get; } = budget > 0 ? budget : throw new ArgumentOutOfRangeException(nameof(budget), budget, "The budget must be above zero.");

    /// <summary>Bytes lent now.</summary>
    public long Taken => Interlocked.Read(ref _taken);

    /// <summary>Lends <paramref name="bytes"/> when the budget has them; false when it has not (nothing is taken then).</summary>
    public bool TryTake(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var taken = Interlocked.Read(ref _taken);
        while (taken + bytes <= Budget)
        {
            var seen = Interlocked.CompareExchange(ref _taken, taken + bytes, taken);
            if (seen == taken)
            {
                return true;
            }

            taken = seen;
        }

        return false;
    }

    /// <summary>Gives back what <see cref="TryTake"/> lent.</summary>
    public void Return(long bytes) => Interlocked.Add(ref _taken, -bytes);
}
