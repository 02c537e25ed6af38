using System.Globalization;
using AgentSystem.Contracts;

namespace AgentSystem.Worker.Handlers;

/// <summary>Counts words separated by any whitespace; the output is the count in invariant digits.</summary>
public sealed class WordCountHandler : IJobHandler
{
    public string Type => JobTypes.WordCount;

    public bool SideEffectFree => true;

    public Task<string> HandleAsync(JobMessage job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var count = job.Input.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        return Task.FromResult(count.ToString(CultureInfo.InvariantCulture));
    }
}
