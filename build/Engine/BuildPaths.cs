namespace AgentSystem.Build.Engine;

/// <summary>Where the repository root and the build's own files are.</summary>
public static class BuildPaths
{
    public const string ParametersFileName = ".nuke/parameters.json";
    public const string SchemaFileName = ".nuke/build.schema.json";

    /// <summary>The nearest folder upwards that holds a <c>.nuke</c> folder (NUKE's root marker).</summary>
    public static string FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".nuke")))
            {
                return dir.FullName;
            }
        }
        throw new UsageException($"No .nuke folder found above {start}: run the build from inside the repository.");
    }
}
