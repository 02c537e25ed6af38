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

    /// <summary>
    /// <paramref name="root"/> as --root names it: a folder holding .nuke, as <see cref="FindRoot"/> finds one. Checked
    /// before anything is written there (the parameters' schema goes to its .nuke folder).
    /// </summary>
    public static string CheckRoot(string root) => Directory.Exists(Path.Combine(root, ".nuke"))
        ? root
        : throw new UsageException($"--root {root}: {(Directory.Exists(root) ? "no .nuke folder there" : "no such folder")}. " +
            "The root is the repository's top folder, the one holding .nuke; leave --root out to find it from the current folder.");
}
