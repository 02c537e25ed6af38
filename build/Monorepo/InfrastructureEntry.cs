using System.Text.Json;

namespace AgentSystem.Build.Monorepo;

/// <summary>
/// An image the pipeline takes from outside, as an entry of <c>infrastructure</c> in <c>services/catalog.json</c>: its
/// official name, the local equivalent <c>BaseImages</c> builds from Debian's packages when no registry answers, and
/// the ports of those the system runs (PostgreSQL, Redis). This file is also compiled into the integration tests'
/// library (a linked file), so the build and the tests read the same names and build the override variable one way.
/// </summary>
public sealed record InfrastructureEntry(string Name, string Image)
{
    /// <summary>The environment variable that names the image to use instead (set by <c>BaseImages</c> for tests and builds).</summary>
    public const string VariablePrefix = "AGENTSYSTEM_IMAGE_";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public string? LocalImage { get; init; }

    public IReadOnlyList<int> Ports { get; init; } = [];

    /// <summary>AGENTSYSTEM_IMAGE_RUNTIME_DEPS for "runtime-deps": letters and digits upper-cased, anything else '_'.</summary>
    public string Variable => VariablePrefix + new string([.. Name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_')]);

    /// <summary>The <c>infrastructure</c> entries of a catalog file's text.</summary>
    public static IReadOnlyList<InfrastructureEntry> ReadAll(string catalogJson)
    {
        using var document = JsonDocument.Parse(catalogJson, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.TryGetProperty("infrastructure", out var entries)
            ? entries.Deserialize<List<InfrastructureEntry>>(JsonOptions) ?? []
            : [];
    }
}
