using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentSystem.Build.Tools;

/// <summary>
/// A node package's <c>engines.node</c> against the node on PATH, before npm runs: npm only warns, and an older Node
/// then fails inside vite's build with a syntax or API error that names no version (helper-126). Only a lower bound
/// (<c>&gt;=X.Y.Z</c>, what the frontend states) is read; any other range is npm's to judge.
/// </summary>
public static partial class NodeVersion
{
    /// <summary>What to say when <paramref name="nodeVersion"/> ("v20.20.2") is below the package's bound; null when it is not, or unknown.</summary>
    public static string? Problem(string packageJson, string nodeVersion, string package)
    {
        string? range;
        try
        {
            using var document = JsonDocument.Parse(packageJson);
            range = document.RootElement.TryGetProperty("engines", out var engines) && engines.ValueKind == JsonValueKind.Object
                && engines.TryGetProperty("node", out var node) && node.ValueKind == JsonValueKind.String ? node.GetString() : null;
        }
        catch (JsonException)
        {
            return null;   // npm says what is wrong with the file
        }

        if (range is null || LowerBound().Match(range.Trim()) is not { Success: true } bound
            || !Version.TryParse(nodeVersion.Trim().TrimStart('v'), out var installed))
        {
            return null;
        }

        var needed = new Version(Part(bound, 1), Part(bound, 2), Part(bound, 3));
        return installed >= needed
            ? null
            : $"{package} needs Node {range.Trim()} (its package.json's engines), and the node on PATH is {nodeVersion.Trim()}: install a newer Node (https://nodejs.org/en/download), then run this again.";
    }

    private static int Part(Match match, int group) => match.Groups[group].Success ? int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$")]
    private static partial Regex LowerBound();
}
