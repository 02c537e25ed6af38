namespace AgentSystem.Build.Monorepo;

/// <summary>Which files mean what to affected detection, apart from plain project files.</summary>
public static class AffectedRules
{
    /// <summary>The images are built with the repository's root as their context, whose .dockerignore applies to every one.</summary>
    public const string BuildContextIgnoreFile = ".dockerignore";

    /// <summary>Files every project depends on: a change to one of them selects everything.</summary>
    public static bool IsGlobalInput(string path)
    {
        var name = PathUtil.FileName(path);
        return name.Equals("global.json", StringComparison.OrdinalIgnoreCase)
            || name.Equals("nuget.config", StringComparison.OrdinalIgnoreCase)
            || path == ".config/dotnet-tools.json"
            || path is "build.sh" or "build.ps1" or "build.cmd" or ServiceCatalog.FileName
            // the build program, its settings, and the CI definitions that run it
            || PathUtil.IsUnder(path, "build") || PathUtil.IsUnder(path, ".nuke")
            || PathUtil.IsUnder(path, ".ci") || PathUtil.IsUnder(path, ".github/workflows");
    }

    /// <summary>Files MSBuild picks up by folder: they affect the .NET projects below their own folder.</summary>
    public static bool IsDirectoryWideMsBuildInput(string path) =>
        PathUtil.FileName(path) is "Directory.Build.props" or "Directory.Build.targets" or "Directory.Build.rsp" or ".editorconfig" or ".globalconfig";

    /// <summary>Documentation: nothing built or deployed takes it; only a test that checks it (as an item of its project).</summary>
    public static bool IsDocumentation(string path) =>
        path.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || PathUtil.IsUnder(path, "docs");

    public static bool IsManifest(string path) => PathUtil.IsUnder(path, "k8s");
}
