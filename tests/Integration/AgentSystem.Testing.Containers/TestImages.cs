using AgentSystem.Build.Monorepo;

namespace AgentSystem.Testing.Containers;

/// <summary>An image chosen for the tests, and whether it is the local equivalent BaseImages builds.</summary>
public sealed record TestImage(string Name, string Reference, bool IsLocal, string Source);

/// <summary>
/// The images the tests run, named once in services/catalog.json (its infrastructure entries, which BaseImages reads
/// too). For each: AGENTSYSTEM_IMAGE_&lt;NAME&gt; when set (the build sets it to what BaseImages provided), else the
/// official image when this machine has it, else its local equivalent when it has that, else the official image
/// (Testcontainers pulls it; an image present locally is never pulled).
/// </summary>
public static class TestImages
{
    private static readonly IReadOnlyList<InfrastructureEntry> Catalog = ReadCatalog();
    private static Dictionary<string, TestImage> _resolved = [];

    public static string Postgres => Get("postgres").Reference;

    public static string Redis => Get("redis").Reference;

    /// <summary>The resource reaper: Ryuk where the registry serves it, else ours (build/images/reaper); null if neither is here.</summary>
    public static TestImage? Reaper => _resolved.GetValueOrDefault("reaper") is { Source: not "default" } reaper ? reaper : null;

    internal static IEnumerable<string> Candidates => Catalog.SelectMany(entry => new[] { entry.Image, entry.LocalImage }).OfType<string>();

    public static TestImage Get(string name) =>
        _resolved.GetValueOrDefault(name) ?? throw new InvalidOperationException(
            $"services/catalog.json has no infrastructure entry named '{name}' (it has {string.Join(", ", Catalog.Select(e => e.Name))}).");

    internal static void Resolve(TestcontainersSetup.EngineFacts? engine) =>
        _resolved = Catalog.ToDictionary(entry => entry.Name, entry => Choose(entry, Environment.GetEnvironmentVariable, engine?.PresentImages ?? []));

    internal static TestImage Choose(InfrastructureEntry entry, Func<string, string?> environment, IReadOnlySet<string> present)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(present);
        if (environment(entry.Variable) is { Length: > 0 } chosen)
        {
            return new(entry.Name, chosen, chosen == entry.LocalImage, entry.Variable);
        }

        if (present.Contains(entry.Image))
        {
            return new(entry.Name, entry.Image, false, "present");
        }

        return entry.LocalImage is { } local && present.Contains(local)
            ? new(entry.Name, local, true, "local equivalent")
            : new(entry.Name, entry.Image, false, "default");
    }

    private static List<InfrastructureEntry> ReadCatalog()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var catalog = Path.Combine(folder.FullName, "services", "catalog.json");
            if (File.Exists(catalog))
            {
                return [.. InfrastructureEntry.ReadAll(File.ReadAllText(catalog))];
            }
        }

        throw new InvalidOperationException($"services/catalog.json not found above {AppContext.BaseDirectory}: the tests name their images there.");
    }
}
