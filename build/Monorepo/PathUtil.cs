namespace AgentSystem.Build.Monorepo;

/// <summary>Repository-relative paths with '/' separators, whatever the OS.</summary>
public static class PathUtil
{
    public static string DirectoryOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    public static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Combine(string directory, string relative)
    {
        relative = relative.Replace('\\', '/');
        return directory.Length == 0 ? relative : $"{directory}/{relative}";
    }

    /// <summary>Removes "." and ".." segments; null when the path climbs above the root.</summary>
    public static string? Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) return null;
                parts.RemoveAt(parts.Count - 1);
            }
            else parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="directory"/> or inside it ("" is the root).</summary>
    public static bool IsUnder(string path, string directory) =>
        directory.Length == 0 || path == directory || path.StartsWith(directory + "/", StringComparison.Ordinal);
}
