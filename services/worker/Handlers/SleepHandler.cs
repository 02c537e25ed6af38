using System.Globalization;
using AgentSystem.Contracts;

namespace AgentSystem.Worker.Handlers;

/// <summary>Waits the input's number of milliseconds (0 to Limits.MaxSleepMilliseconds), for tests and load runs; stops when cancelled.</summary>
public sealed class SleepHandler(TimeProvider time) : IJobHandler
{
    public string Type => JobTypes.Sleep;

    public async Task<string> HandleAsync(JobMessage job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);

        if (!int.TryParse(job.Input.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds) || milliseconds > Limits.MaxSleepMilliseconds)
        {
            throw new JobInputException($"sleep takes a whole number of milliseconds from 0 to {Limits.MaxSleepMilliseconds}, not '{Shorten(job.Input)}'.");
        }

        await Task.Delay(TimeSpan.FromMilliseconds(milliseconds), time, ct);
        return milliseconds.ToString(CultureInfo.InvariantCulture);
    }

    private static string Shorten(string input) => input.Length <= 32 ? input : string.Concat(input.AsSpan(0, 32), "...");
}
