namespace AgentSystem.Build.Tools;

/// <summary>Programs found on PATH, as a shell would find them.</summary>
public static class Executables
{
    /// <summary>Every <paramref name="name"/> on PATH (".exe" added on Windows), in PATH order, symbolic links resolved, without duplicates.</summary>
    public static List<string> OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? name + ".exe" : name))
            .Where(File.Exists)
            .Select(path => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path)
            .Distinct()
            .ToList();
}
