using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSystem.Build.Monorepo;

public sealed record AffectedService(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("reasons")] IReadOnlyList<string> Reasons);

/// <summary>What changed and what it affects. <see cref="ToJson"/> is the contract of artifacts/affected.json.</summary>
public sealed record AffectedResult
{
    // Relaxed escaping keeps the "->" of reasons readable; the file is never embedded in HTML.
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The commit compared against; null when everything was selected without one.</summary>
    public string? Base { get; init; }
    public string? BaseDescription { get; init; }
    public bool All { get; init; }
    /// <summary>Why everything was selected, when it was.</summary>
    public string? AllReason { get; init; }
    public IReadOnlyList<AffectedService> Services { get; init; } = [];
    public IReadOnlyList<string> Projects { get; init; } = [];
    /// <summary>The affected .NET test projects (a subset of <see cref="Projects"/>).</summary>
    public IReadOnlyList<string> TestProjects { get; init; } = [];
    public IReadOnlyList<string> ChangedFiles { get; init; } = [];
    /// <summary>Changed files that affect nothing, with why ("documentation", "no project owns it").</summary>
    public IReadOnlyList<(string File, string Why)> Ignored { get; init; } = [];

    public bool IsAffected(string service) => Services.Any(s => s.Name == service);

    public string ToJson()
    {
        var contract = new Contract(Base, All, Services, Projects);
        return JsonSerializer.Serialize(contract, IndentedJson) + "\n";
    }

    private sealed record Contract(
        [property: JsonPropertyName("base")] string? Base,
        [property: JsonPropertyName("all")] bool All,
        [property: JsonPropertyName("services")] IReadOnlyList<AffectedService> Services,
        [property: JsonPropertyName("projects")] IReadOnlyList<string> Projects);
}
