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

        // The version line among whatever a shim prints: "v20.20.2".
        var line = nodeVersion.Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault(l => InstalledLine().IsMatch(l));
        if (range is null || LowerBound().Match(range.Trim()) is not { Success: true } bound || line is null
            || !Version.TryParse(line.TrimStart('v'), out var installed)
            || !Version.TryParse($"{Part(bound, 1)}.{Part(bound, 2)}.{Part(bound, 3)}", out var needed))
        {
            return null;
        }

        return installed >= needed
            ? null
            : $"{package} needs Node {range.Trim()} (its package.json's engines), and the node on PATH is {line}: install a newer Node (https://nodejs.org/en/download), then run this again.";
    }

    private static string Part(Match match, int group) => match.Groups[group].Success ? match.Groups[group].Value : "0";

    [GeneratedRegex(@"^v?\d+\.\d+\.\d+$")]
    private static partial Regex InstalledLine();

    [GeneratedRegex(@"^>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$")]
    private static partial Regex LowerBound();
}
