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
        path = path.Replace('\\', '/');
        if (!path.Contains("./", StringComparison.Ordinal) && !path.Contains("//", StringComparison.Ordinal)
            && !path.StartsWith('/') && !path.EndsWith('/') && !path.EndsWith('.'))
        {
            return path;
        }
        // Called for thousands of ProjectReferences per run: build the result in place rather than split and join.
        Span<char> buffer = path.Length <= 512 ? stackalloc char[path.Length] : new char[path.Length];
        var length = 0;
        foreach (var range in path.AsSpan().Split('/'))
        {
            var part = path.AsSpan(range);
            if (part is "" or ".")
            {
                continue;
            }

            if (part is "..")
            {
                if (length == 0)
                {
                    return null;
                }

                length = Math.Max(buffer[..length].LastIndexOf('/'), 0);
                continue;
            }
            if (length > 0)
            {
                buffer[length++] = '/';
            }

            part.CopyTo(buffer[length..]);
            length += part.Length;
        }
        return new string(buffer[..length]);
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="directory"/> or inside it ("" is the root).</summary>
    public static bool IsUnder(string path, string directory) =>
        directory.Length == 0 || path == directory || path.StartsWith(directory + "/", StringComparison.Ordinal);
}
