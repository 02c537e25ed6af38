namespace AgentSystem.Build.Docker;

/// <summary>How a local equivalent of an official image is made.</summary>
public enum LocalRecipe { Debootstrap, Dockerfile }

/// <summary>A base image the pipeline needs: its official name and the local equivalent built from Debian's packages.</summary>
/// <param name="Streamed">Files from this machine streamed into the build context: (path on the machine, name in the context).</param>
public sealed record BaseImage(string Name, string Official, string Local, LocalRecipe Recipe, IReadOnlyList<(string Source, string Target)> Streamed)
{
    /// <summary>AGENTSYSTEM_IMAGE_POSTGRES and so on: how tests and Dockerfile builds learn which image to use.</summary>
    public string EnvironmentVariable => EnvironmentVariableFor(Name);

    public static string EnvironmentVariableFor(string name) => "AGENTSYSTEM_IMAGE_" + name.ToUpperInvariant().Replace('-', '_');
}

public static class BaseImageCatalog
{
    public const string LocalDebian = "agentsystem-base/debian:bookworm";

    /// <summary>In build order: the Debian base first, everything else on top of it.</summary>
    public static IReadOnlyList<BaseImage> All(string hostCaBundle, string dotnetRoot, string nodeBinary) =>
    [
        new("debian", "debian:bookworm-slim", LocalDebian, LocalRecipe.Debootstrap, []),
        new("runtime-deps", "mcr.microsoft.com/dotnet/runtime-deps:10.0", "agentsystem-base/runtime-deps:10.0", LocalRecipe.Dockerfile, []),
        new("sdk", "mcr.microsoft.com/dotnet/sdk:10.0", "agentsystem-base/sdk:10.0", LocalRecipe.Dockerfile,
            [(dotnetRoot, "dotnet"), (hostCaBundle, "ca-certificates.crt")]),
        new("node", "node:20-bookworm-slim", "agentsystem-base/node:20", LocalRecipe.Dockerfile,
            [(nodeBinary, "node"), (NpmFolderOf(nodeBinary), "npm"), (hostCaBundle, "ca-certificates.crt")]),
        new("busybox", "busybox:1.37-musl", "agentsystem-base/busybox:1.35", LocalRecipe.Dockerfile, []),
        new("nginx", "nginx:stable-alpine-slim", "agentsystem-base/nginx:1.22-slim", LocalRecipe.Dockerfile, []),
        new("postgres", "postgres:16-alpine", "agentsystem-base/postgres:15", LocalRecipe.Dockerfile, []),
        new("redis", "redis:7-alpine", "agentsystem-base/redis:7", LocalRecipe.Dockerfile, []),
    ];

    /// <summary>npm sits beside node: /usr/bin/node -> /usr/lib/node_modules/npm.</summary>
    private static string NpmFolderOf(string nodeBinary) =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(nodeBinary)!)!, "lib", "node_modules", "npm");
}
