using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.Build.Engine;
using AgentSystem.Contracts;

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

    /// <summary>The catalog and project graph the result was computed from; never serialized, needed by <see cref="Restrict"/>.</summary>
    public ServiceCatalog? Catalog { get; init; }
    public ProjectGraph? Graph { get; init; }

    /// <summary>
    /// The pseudo-service naming the affected projects outside every affected service's job: those no service owns
    /// (libraries, their tests, the build's tests), and a service's test projects when the service itself is not
    /// affected (a test library they share changed).
    /// </summary>
    public const string Shared = "shared";

    /// <summary>
    /// The matrix of a CI run: the affected services, plus <see cref="Shared"/> when affected projects belong to no service.
    /// </summary>
    public IReadOnlyList<string> MatrixEntries()
    {
        var entries = Services.Select(s => s.Name).ToList();
        if (SharedProjects().Count > 0)
        {
            entries.Add(Shared);
        }

        return entries;
    }

    /// <summary>
    /// Keeps only the named services (and, for <see cref="Shared"/>, the <see cref="SharedProjects"/>): what each one's CI
    /// job runs. A kept service brings its project and its affected test projects (those that reference it directly, and
    /// those the catalog names in its <c>testedBy</c>); a named service not affected, those of its test projects that
    /// <see cref="SharedProjects"/> holds.
    /// </summary>
    /// <exception cref="UsageException">A name is neither a service of the catalog nor <see cref="Shared"/>.</exception>
    /// <param name="names">The services named.</param>
    /// <param name="givenAs">Where they were named, for the message: "--service", "environment variable SERVICE".</param>
    public AffectedResult Restrict(IReadOnlyCollection<string> names, string givenAs = "--service")
    {
        var catalog = Catalog ?? throw new InvalidOperationException("This result carries no service catalog to restrict with.");
        var graph = Graph ?? throw new InvalidOperationException("This result carries no project graph to restrict with.");
        var valid = catalog.Services.Select(s => s.Name).Append(Shared).ToList();
        var unknown = names.Where(n => !valid.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException(
                $"Unknown service{(unknown.Count == 1 ? "" : "s")} {string.Join(", ", unknown.Select(n => $"'{n}'"))} in {givenAs}.{Suggestions.DidYouMean(unknown, valid)} Valid: {string.Join(", ", valid)}.");
        }

        var kept = Services.Where(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        var affected = Projects.ToHashSet(StringComparer.Ordinal);
        var shared = SharedProjects().ToHashSet(StringComparer.Ordinal);
        var projects = new SortedSet<string>(StringComparer.Ordinal);
        // What each named service's CI job would run. One that is not affected has no job, but keeps those of its tests
        // the shared job runs (a change to them alone selects no service), so `Test --service worker` after editing a
        // worker test runs it (helper-118); not a test another service's job runs (a system test of the worker and the
        // gateway, when only the worker changed: helper-133).
        foreach (var entry in catalog.Services.Where(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)))
        {
            var own = kept.Any(s => s.Name.Equals(entry.Name, StringComparison.OrdinalIgnoreCase)) ? affected : shared;
            projects.UnionWith(OwnedBy(entry, graph).Where(own.Contains));
        }
        if (names.Contains(Shared, StringComparer.OrdinalIgnoreCase))
        {
            projects.UnionWith(shared);
        }

        return this with
        {
            Services = kept,
            Projects = [.. projects],
            TestProjects = [.. projects.Where(p => graph.Find(p)?.IsTest == true)],
        };
    }

    /// <summary>
    /// The affected projects no affected service's job tests, CI's <see cref="Shared"/> matrix entry: those no service
    /// owns, and those of a service not affected itself. Without the second, a change to a test library that only
    /// services' test projects use selected no service and ran those tests in no job (helper-116).
    /// </summary>
    public List<string> SharedProjects()
    {
        if (Catalog is null || Graph is null)
        {
            return [];
        }

        var tested = AffectedServiceEntries().SelectMany(s => OwnedBy(s, Graph)).ToHashSet(StringComparer.Ordinal);
        return Projects.Where(p => !tested.Contains(p)).ToList();
    }

    /// <summary>The affected services that have an image (<see cref="ServiceEntry.HasImage"/>).</summary>
    public List<ServiceEntry> ImageServices(string root) => [.. AffectedServiceEntries().Where(s => s.HasImage(root))];

    private IEnumerable<ServiceEntry> AffectedServiceEntries() => Services.Select(s => Catalog?.Find(s.Name)).OfType<ServiceEntry>();

    /// <summary>A service's project and its test projects.</summary>
    private static IEnumerable<string> OwnedBy(ServiceEntry service, ProjectGraph graph) =>
        service.TestProjects(graph).Select(t => t.Path).Prepend(service.Project);

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
