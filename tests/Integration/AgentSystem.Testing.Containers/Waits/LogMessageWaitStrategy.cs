using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentSystem.Testing.Containers.Waits;

/// <summary>The container's output (stdout and stderr) holds a line matching the pattern, at least N times.</summary>
public sealed class LogMessageWaitStrategy(string pattern, int times = 1) : WaitStrategy
{
    private readonly Regex regex = new(pattern, RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public override string Description =>
        $"log line matching /{pattern}/ " + (times == 1 ? "once" : $"{times.ToString(CultureInfo.InvariantCulture)} times");

    public override async Task<WaitCheck> CheckAsync(DockerContainer container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        var logs = await container.GetLogsAsync(null, cancellationToken).ConfigureAwait(false);
        var count = regex.Count(logs.Combined);
        return count >= times
            ? WaitCheck.Ready
            : WaitCheck.NotReady($"{count.ToString(CultureInfo.InvariantCulture)} of {times.ToString(CultureInfo.InvariantCulture)} matching line(s) so far");
    }
}
