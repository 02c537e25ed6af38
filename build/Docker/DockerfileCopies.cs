using System.Text.RegularExpressions;

namespace AgentSystem.Build.Docker;

/// <summary>What a Dockerfile copies from its build context: the files and folders an image is made of.</summary>
public static partial class DockerfileCopies
{
    /// <summary>The sources of every COPY/ADD that reads the context (not <c>--from=</c> a stage), as written.</summary>
    public static IReadOnlyList<string> Sources(string dockerfile)
    {
        var joined = dockerfile.Replace("\\\n", " ", StringComparison.Ordinal);
        var sources = new List<string>();
        foreach (Match match in CopyLine().Matches(joined))
        {
            var words = match.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Any(w => w.StartsWith("--from=", StringComparison.Ordinal)))
            {
                continue;
            }

            var paths = words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
            sources.AddRange(paths.Take(paths.Count - 1));
        }
        return sources;
    }

    [GeneratedRegex(@"^\s*(COPY|ADD)\s+(?<args>.+)$", RegexOptions.Multiline)]
    private static partial Regex CopyLine();
}
