using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSystem.Build.Monorepo;

public enum ServiceKind { Dotnet, Node }

/// <summary>One deployable service as <c>services/catalog.json</c> describes it. Paths are relative to the root, with '/'.</summary>
public sealed record ServiceEntry
{
    public required string Name { get; init; }
    public ServiceKind Kind { get; init; } = ServiceKind.Dotnet;
    public required string Project { get; init; }
    public string? Dockerfile { get; init; }
    public string? Manifests { get; init; }
    public string? Image { get; init; }
    public IReadOnlyList<int> Ports { get; init; } = [];
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>Whether it has an image: its Dockerfile is there (a service found by convention names one that may not be).</summary>
    public bool HasImage(string root) => Dockerfile is { } file && File.Exists(Path.Combine(root, file));

    /// <summary>The service owns a schema and has a <c>migrate</c> command, run once before the service starts.</summary>
    public bool Migrate { get; init; }

    /// <summary>
    /// Test projects that test this service without referencing its project (the system tests serve the frontend's build
    /// to a browser): selected whenever the service is, without making the services they reference affected.
    /// </summary>
    public IReadOnlyList<string> TestedBy { get; init; } = [];

    /// <summary>
    /// The service's test projects: those that reference its project, then those it names in <see cref="TestedBy"/> that
    /// the checkout holds (a sparse one may not; the repository's own names are checked by a test).
    /// </summary>
    public IEnumerable<RepoProject> TestProjects(ProjectGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var named = TestedBy.Select(graph.Find).OfType<RepoProject>().Where(p => p.IsTest);
        return graph.DependentsOf(Project).Where(t => t.IsTest).Concat(named).Distinct();
    }
}

public sealed record LibraryEntry(string Name, string Project);

/// <summary>
/// The one description of the services every part of the pipeline reads (affected detection, images, deploys, CI).
/// Services come from the catalog file, plus any <c>services/&lt;name&gt;/</c> folder holding one web project or a
/// package.json, so adding a service is one entry or one folder.
/// </summary>
public sealed record ServiceCatalog(IReadOnlyList<ServiceEntry> Services, IReadOnlyList<LibraryEntry> Libraries, IReadOnlyList<InfrastructureEntry> Infrastructure)
{
    public const string FileName = "services/catalog.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public ServiceEntry? Find(string name) => Services.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the catalog and adds the services found by convention.</summary>
    /// <param name="files">Every file of the repository, relative with '/' (used for the convention).</param>
    public static ServiceCatalog Load(string root, IEnumerable<string> files)
    {
        var path = Path.Combine(root, FileName);
        CatalogFile file;
        try
        {
            file = File.Exists(path)
                ? JsonSerializer.Deserialize<CatalogFile>(File.ReadAllText(path), JsonOptions) ?? new CatalogFile()
                : new CatalogFile();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{FileName} is not valid: {e.Message}", e);
        }

        var services = (file.Services ?? []).ToList();
        var duplicate = services.GroupBy(s => s.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"{FileName} names the service '{duplicate.Key}' twice.");
        }

        var libraries = file.Libraries ?? [];
        var known = services.Select(s => s.Project).Concat(libraries.Select(l => l.Project)).ToHashSet(StringComparer.Ordinal);
        services.AddRange(ByConvention(files, known, services));
        return new ServiceCatalog(services, libraries, file.Infrastructure ?? []);
    }

    /// <summary><c>services/&lt;name&gt;/&lt;project&gt;</c>: a web project (Sdk.Web is checked by the graph) or a package.json.</summary>
    private static IEnumerable<ServiceEntry> ByConvention(IEnumerable<string> files, HashSet<string> known, List<ServiceEntry> declared)
    {
        var candidates = files
            .Where(f => f.StartsWith("services/", StringComparison.Ordinal))
            .Select(f => f.Split('/'))
            .Where(p => p.Length == 3 && p[0] == "services" && (p[2] == "package.json" || p[2].EndsWith(".csproj", StringComparison.Ordinal)))
            .GroupBy(p => p[1], StringComparer.Ordinal);
        foreach (var folder in candidates)
        {
            var name = folder.Key.ToLowerInvariant();
            if (name == "shared" || declared.Any(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var project = folder.Select(p => string.Join('/', p)).OrderBy(p => p.EndsWith("package.json", StringComparison.Ordinal)).First();
            if (known.Contains(project) || folder.Count() > 1)
            {
                continue;
            }

            yield return new ServiceEntry
            {
                Name = name,
                Kind = project.EndsWith("package.json", StringComparison.Ordinal) ? ServiceKind.Node : ServiceKind.Dotnet,
                Project = project,
                Dockerfile = $"services/{folder.Key}/Dockerfile",
                Manifests = $"k8s/base/{name}",
                Image = $"agentsystem/{name}",
            };
        }
    }

    private sealed record CatalogFile
    {
        public List<ServiceEntry>? Services { get; init; }
        public List<LibraryEntry>? Libraries { get; init; }
        public List<InfrastructureEntry>? Infrastructure { get; init; }
    }
}
