using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Tests;

/// <summary>The repository these tests run in: its root, files, service catalog and project graph.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    private static readonly Lazy<IReadOnlyList<string>> Files = new(() => new Git(Root).ListFiles().Files);

    public static ServiceCatalog Catalog => ServiceCatalog.Load(Root, Files.Value);

    public static ProjectGraph Graph => ProjectGraph.Load(Root, Files.Value);

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    private static string FindRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "AgentSystem.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        return root;
    }
}
