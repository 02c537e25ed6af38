namespace AgentSystem.Build.Docker;

/// <summary>The repository's web address for an image's <c>org.opencontainers.image.source</c> label.</summary>
public static class ImageSource
{
    /// <summary>
    /// An origin remote as a web address: an http(s) one without any user or token in it (so none reaches an image), an
    /// ssh one as https to its host. Null for anything else: a local path would name one machine's directory and, as
    /// part of the label, give each clone of the same commit an image id of its own.
    /// </summary>
    public static string? WebAddress(string remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var url = remote.Trim();
        var viaSsh = false;
        if (url.StartsWith("git@", StringComparison.Ordinal) && url.IndexOf(':', StringComparison.Ordinal) is > 4 and var colon)
        {
            (url, viaSsh) = ($"ssh://{url[..colon]}/{url[(colon + 1)..]}", true);
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            return null;
        }

        viaSsh |= uri.Scheme == "ssh";
        if (!viaSsh && uri.Scheme is not ("https" or "http"))
        {
            return null;
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        path = path.EndsWith(".git", StringComparison.Ordinal) ? path[..^4] : path;
        // Authority has no user information; an ssh port is not the web server's.
        return viaSsh ? $"https://{uri.Host}{path}" : $"{uri.Scheme}://{uri.Authority}{path}";
    }
}
