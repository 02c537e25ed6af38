using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Docker;

/// <summary>How a local equivalent of an official image is made.</summary>
public enum LocalRecipe { Debootstrap, Dockerfile }

/// <summary>A base image the pipeline needs: its official name and the local equivalent built from Debian's packages.</summary>
/// <param name="Streamed">Files from this machine streamed into the build context: (path on the machine, name in the context).</param>
public sealed record BaseImage(string Name, string Official, string Local, LocalRecipe Recipe, IReadOnlyList<(string Source, string Target)> Streamed, string Variable);

/// <summary>
/// The base images are the catalog's infrastructure entries that have a local equivalent (names live there only);
/// this class adds how each is built here: debootstrap for the Debian root, else <c>build/images/&lt;name&gt;/Dockerfile</c>
/// with some of this machine's files streamed in.
/// </summary>
public static class BaseImageCatalog
{
    /// <summary>In build order: the Debian root first, then the catalog's order (a recipe may use the images before it).</summary>
    public static IReadOnlyList<BaseImage> All(IReadOnlyList<InfrastructureEntry> infrastructure, string hostCaBundle, string dotnetRoot, string nodeBinary)
    {
        ArgumentNullException.ThrowIfNull(infrastructure);
        var streamed = new Dictionary<string, (string, string)[]>
        {
            ["sdk"] = [(dotnetRoot, "dotnet"), (hostCaBundle, "ca-certificates.crt")],
            ["node"] = [(nodeBinary, "node"), (NpmFolderOf(nodeBinary), "npm"), (hostCaBundle, "ca-certificates.crt")],
        };
        return [.. infrastructure
            .Where(entry => entry.LocalImage is not null)
            .Select(entry => new BaseImage(entry.Name, entry.Image, entry.LocalImage!, entry.Name == "debian" ? LocalRecipe.Debootstrap : LocalRecipe.Dockerfile,
                streamed.GetValueOrDefault(entry.Name, []), entry.Variable))
            .OrderBy(image => image.Recipe != LocalRecipe.Debootstrap)];
    }

    /// <summary>npm sits beside node: /usr/bin/node -> /usr/lib/node_modules/npm.</summary>
    private static string NpmFolderOf(string nodeBinary) =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(nodeBinary)!)!, "lib", "node_modules", "npm");
}
