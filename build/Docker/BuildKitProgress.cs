using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentSystem.Build.Docker;

/// <summary>One Dockerfile step as BuildKit reported it.</summary>
public sealed partial record BuildStep(int Id, string Name)
{
    public bool Cached { get; internal set; }
    public TimeSpan? Duration { get; internal set; }
    public string? Error { get; internal set; }
    /// <summary>The step's latest output lines (what a failure shows).</summary>
    public List<string> Output { get; } = [];

    /// <summary>"[build 6/10] RUN dotnet restore ...": a step of the Dockerfile, not BuildKit's own bookkeeping.</summary>
    public bool IsDockerfileStep => DockerfileStep().IsMatch(Name);

    /// <summary>"[build 1/10] FROM docker.io/...": the base image, resolved, not built.</summary>
    public bool IsFrom => FromStep().IsMatch(Name);

    /// <summary>The name without cache-mount flags, which say nothing to a reader.</summary>
    public string DisplayName => MountFlag().Replace(Name, "").Replace("  ", " ", StringComparison.Ordinal);

    [GeneratedRegex(@"^\[[^\]]*\d+/\d+\]")]
    private static partial Regex DockerfileStep();

    [GeneratedRegex(@"^\[[^\]]*\d+/\d+\]\s+FROM\s")]
    private static partial Regex FromStep();

    [GeneratedRegex(@"--mount=\S+\s*")]
    private static partial Regex MountFlag();
}

/// <summary>
/// Reads <c>docker build --progress=plain</c> output line by line (BuildKit's format: <c>#12 [build 4/9] RUN ...</c>,
/// <c>#12 3.21 output</c>, <c>#12 DONE 23.4s</c>, <c>#12 CACHED</c>, <c>#12 ERROR: ...</c>) into steps: which were
/// cached, how long each took, which one is running, which failed and its last output.
/// </summary>
public sealed partial class BuildKitProgress
{
    private const int KeptOutputLines = 40;
    private readonly Dictionary<int, BuildStep> _steps = [];

    public IEnumerable<BuildStep> Steps => _steps.Values.OrderBy(s => s.Id);

    /// <summary>The first step that failed, if any.</summary>
    public BuildStep? Failed => Steps.FirstOrDefault(s => s.Error is not null);

    /// <summary>The Dockerfile step running now (started, not finished), for a heartbeat line.</summary>
    public BuildStep? Running => Steps.LastOrDefault(s => s.IsDockerfileStep && s.Duration is null && !s.Cached && s.Error is null);

    public void Read(string line)
    {
        var match = Line().Match(line);
        if (!match.Success)
        {
            return;
        }

        var id = int.Parse(match.Groups["id"].Value, CultureInfo.InvariantCulture);
        var rest = match.Groups["rest"].Value;
        if (!_steps.TryGetValue(id, out var step))
        {
            // The first line of a step names it.
            _steps[id] = new BuildStep(id, rest.Trim());
            return;
        }
        if (rest == "CACHED")
        {
            step.Cached = true;
        }
        else if (Done().Match(rest) is { Success: true } done)
        {
            step.Duration = TimeSpan.FromSeconds(double.Parse(done.Groups["seconds"].Value, CultureInfo.InvariantCulture));
        }
        else if (rest.StartsWith("ERROR", StringComparison.Ordinal))
        {
            step.Error = rest["ERROR".Length..].TrimStart(':', ' ');
        }
        else if (Output().Match(rest) is { Success: true } output)
        {
            step.Output.Add(output.Groups["text"].Value);
            if (step.Output.Count > KeptOutputLines)
            {
                step.Output.RemoveAt(0);
            }
        }
    }

    [GeneratedRegex(@"^#(?<id>\d+) (?<rest>.*)$")]
    private static partial Regex Line();

    [GeneratedRegex(@"^DONE (?<seconds>\d+(\.\d+)?)s$")]
    private static partial Regex Done();

    [GeneratedRegex(@"^\d+(\.\d+)? (?<text>.*)$")]
    private static partial Regex Output();
}
