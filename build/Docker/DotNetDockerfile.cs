using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Docker;

/// <summary>
/// The Dockerfile of a .NET service, rendered from the catalog (project, port) and the project graph (the libraries it
/// references, directly or not): the four services' Dockerfiles differ only in those, so they are written from this one
/// text by <c>./build.sh Dockerfiles</c>, and a test fails while a committed one differs from its rendering.
/// </summary>
public static class DotNetDockerfile
{
    public static string Render(ServiceEntry service, ProjectGraph graph)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(graph);
        if (service.Kind != ServiceKind.Dotnet || service.Ports.Count == 0)
        {
            throw new ArgumentException($"{service.Name}: a .NET service with a port renders a .NET Dockerfile.", nameof(service));
        }

        var project = service.Project;
        var folder = PathUtil.DirectoryOf(project);
        var libraries = graph.ReferenceClosure(project).Where(p => p != project).ToList();
        var port = service.Ports[0];
        var rid = """linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)""";
        string Lines(Func<string, string> line) => string.Concat(libraries.Select(library => line(library) + "\n"));

        return $$"""
            # The {{service.Name}} service: self-contained, trimmed, single-file, on a base of the few libraries such an app loads.
            # Written by ./build.sh Dockerfiles (build/Docker/DotNetDockerfile.cs) from services/catalog.json and the project
            # references: change that, not this file. Build from the repository root: docker build -f {{folder}}/Dockerfile .
            # The base images are arguments (the official ones by default); ./build.sh Images passes local equivalents when no
            # registry answers. No "# syntax" line: BuildKit's built-in Dockerfile frontend has cache mounts, and none is pulled.
            ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
            ARG RUNTIME_DEPS_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0
            ARG BUSYBOX_IMAGE=busybox:1.37-musl

            # The health check's wget: BusyBox's static binary under that name, which runs nothing but wget.
            FROM ${BUSYBOX_IMAGE} AS probe

            FROM ${SDK_IMAGE} AS build
            ARG TARGETARCH
            # Restore must see the publish properties too, to fetch the runtime packs and the trimmer (services/Directory.Build.targets
            # says how trimming treats the framework).
            # RunAnalyzers=false: Compile builds every project on the host with the analyzers and code style, warnings as errors;
            # here they would only check it again. Source generators still run, so the IL is the same.
            ARG PUBLISH_PROPERTIES="-p:SelfContained=true -p:PublishSingleFile=true -p:PublishTrimmed=true -p:TrimMode=partial -p:EnableCompressionInSingleFile=true -p:DebugType=none -p:RunAnalyzers=false"
            # Packages go into the restore layer itself, so a reused layer always has them; the downloads are kept across builds
            # in a cache mount, written by one restore at a time (NuGet's own lock does not reach across concurrent builds).
            ENV NUGET_PACKAGES=/nuget/packages NUGET_HTTP_CACHE_PATH=/nuget/http-cache
            # Dynamic PGO does not pay off in short-lived processes: off, a rebuild's publish (the compiler and the trimmer) took
            # about a third less CPU, for the same output byte for byte (docs/architecture.md).
            ENV DOTNET_TieredPGO=0
            WORKDIR /src
            # Restore reads only these: the layer is reused until a project file or a root setting changes.
            COPY Directory.Build.props Directory.Packages.props nuget.config global.json ./
            COPY services/Directory.Build.targets services/ILLink.Suppressions.xml services/
            {{Lines(library => $"COPY {library} {PathUtil.DirectoryOf(library)}/")}}COPY {{project}} {{folder}}/
            RUN --mount=type=cache,id=nuget-http,target=/nuget/http-cache,sharing=locked \
                dotnet restore {{project}} -r {{rid}} $PUBLISH_PROPERTIES
            COPY .editorconfig ./
            {{Lines(library => $"COPY {PathUtil.DirectoryOf(library)}/ {PathUtil.DirectoryOf(library)}/")}}# The libraries compile in a layer of their own, with the global properties the publish below gives them (those of
            # `dotnet publish -c Release -r <rid>`), so a change in the service's own sources finds them up to date (COPY keeps file
            # times) and compiles only the service; a change in a library invalidates this layer and everything after it.
            RUN dotnet msbuild {{project}} -t:ResolveProjectReferences -nologo -v:m -p:Configuration=Release \
                  -p:RuntimeIdentifier={{rid}} -p:_CommandLineDefinedRuntimeIdentifier=true -p:_IsPublishing=true \
                  $PUBLISH_PROPERTIES
            COPY {{folder}}/ {{folder}}/
            RUN dotnet publish {{project}} --no-restore -c Release -r {{rid}} \
                  $PUBLISH_PROPERTIES -o /app

            FROM ${RUNTIME_DEPS_IMAGE}
            COPY --from=probe /bin/busybox /usr/local/bin/wget
            COPY --from=build /app/ /app/
            WORKDIR /app
            USER 1654
            EXPOSE {{string.Join(' ', service.Ports)}}
            # Healthy at the first answer; failures in the first 2 minutes do not count, since docker-compose 1.29 gives up
            # on a dependency once it is unhealthy, and on a busy machine a service took over 45 s to answer.
            HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 \
                CMD ["/usr/local/bin/wget", "-q", "-O", "/dev/null", "http://127.0.0.1:{{port}}/healthz"]
            ENTRYPOINT ["/app/{{Path.GetFileNameWithoutExtension(project)}}"]

            """;
    }
}
