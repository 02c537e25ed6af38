using System.Text.RegularExpressions;
using AgentSystem.Build.Docker;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Tests;

/// <summary>The services' Dockerfiles agree with the catalog, the project graph and the base images the build provides.</summary>
public partial class DockerfileTests
{
    public static TheoryData<string> Services => [.. RepositoryFiles.Catalog.Services.Select(s => s.Name)];

    private static (ServiceEntry Service, string Text) Dockerfile(string name)
    {
        var service = RepositoryFiles.Catalog.Find(name)!;
        Assert.NotNull(service.Dockerfile);
        return (service, RepositoryFiles.Read(service.Dockerfile));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_base_image_is_an_argument_defaulting_to_an_official_image_the_build_can_replace(string name)
    {
        var (_, text) = Dockerfile(name);
        var bases = BaseImageCatalog.All(InfrastructureEntry.ReadAll(RepositoryFiles.Read(ServiceCatalog.FileName)), "ca.crt", "/dotnet", "/usr/bin/node").ToDictionary(b => b.Name);
        var arguments = ImageArgument().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["default"].Value);
        Assert.NotEmpty(arguments);
        foreach (var (argument, official) in arguments)
        {
            // SDK_IMAGE -> "sdk": ./build.sh Images passes the image BaseImages provided under that name.
            var baseName = argument[..^"_IMAGE".Length].ToLowerInvariant().Replace('_', '-');
            Assert.True(bases.TryGetValue(baseName, out var image), $"{argument}: BaseImageCatalog has no '{baseName}'");
            Assert.Equal(image.Official, official);
        }
        // scratch is no base image: an empty one, which a stage copies a base image's files onto.
        foreach (Match from in FromLine().Matches(text).Where(m => m.Groups["image"].Value != "scratch"))
        {
            Assert.Matches(@"^\$\{[A-Z_]+_IMAGE\}$", from.Groups["image"].Value);
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void The_image_runs_as_1654_and_checks_healthz_on_the_catalog_port(string name)
    {
        var (service, text) = Dockerfile(name);
        var port = service.Ports[0];
        Assert.Matches(@"(?m)^USER 1654$", text);
        Assert.Matches($@"(?m)^EXPOSE {port}( |$)", text);
        Assert.Contains($"http://127.0.0.1:{port}/healthz", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// The image's config lists only the ports it serves (the catalog's: the orchestrator's second speaks HTTP/2): its last stage is FROM scratch or a base that exposes nothing
    /// (judged by the base's local twin in build/images). The frontend was FROM nginx, and docker ps showed 80/tcp.
    /// </summary>
    [Theory]
    [MemberData(nameof(Services))]
    public void The_image_exposes_only_its_catalog_ports(string name)
    {
        var (service, text) = Dockerfile(name);
        Assert.Equal([$"EXPOSE {string.Join(' ', service.Ports)}"], ExposeLine().Matches(text).Select(m => m.Value));
        var last = FromLine().Matches(text)[^1].Groups["image"].Value;
        if (last == "scratch")
        {
            return;
        }

        var baseName = last.Trim('$', '{', '}')[..^"_IMAGE".Length].ToLowerInvariant().Replace('_', '-');
        Assert.DoesNotMatch(ExposeLine(), RepositoryFiles.Read($"build/images/{baseName}/Dockerfile"));
    }

    /// <summary>
    /// A .NET image copies exactly its project's reference closure (and restores before it copies sources), so a change
    /// in another service never touches its layers, and a change in a library it uses always does.
    /// </summary>
    [Theory]
    [MemberData(nameof(Services))]
    public void A_dotnet_image_copies_its_projects_and_no_others(string name)
    {
        var (service, text) = Dockerfile(name);
        if (service.Kind != ServiceKind.Dotnet)
        {
            return;
        }

        var closure = RepositoryFiles.Graph.ReferenceClosure(service.Project);
        var copies = DockerfileCopies.Sources(text);
        var folders = copies.Where(c => c.EndsWith('/')).Select(c => c.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(closure.Select(PathUtil.DirectoryOf).Order(), folders.Order());
        var restore = text.IndexOf("dotnet restore", StringComparison.Ordinal);
        foreach (var project in closure)
        {
            var projectCopy = text.IndexOf($"COPY {project} ", StringComparison.Ordinal);
            Assert.True(projectCopy >= 0 && projectCopy < restore, $"{project} should be copied on its own before the restore");
            Assert.True(text.IndexOf($"COPY {PathUtil.DirectoryOf(project)}/ ", StringComparison.Ordinal) > restore, $"{project}'s sources should be copied after the restore");
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void A_dotnet_dockerfile_is_what_the_generator_writes(string name)
    {
        var (service, text) = Dockerfile(name);
        if (service.Kind != ServiceKind.Dotnet)
        {
            return;
        }

        Assert.True(DotNetDockerfile.Render(service, RepositoryFiles.Graph) == text,
            $"{service.Dockerfile} differs from what build/Docker/DotNetDockerfile.cs renders: run ./build.sh Dockerfiles and commit it.");
    }

    /// <summary>
    /// The libraries compile in a layer before the service's own sources are copied, so a change in those reuses them;
    /// with the publish's configuration, runtime and properties, so the publish finds them up to date.
    /// </summary>
    [Theory]
    [MemberData(nameof(Services))]
    public void A_dotnet_image_compiles_its_libraries_before_it_copies_its_own_sources(string name)
    {
        var (service, text) = Dockerfile(name);
        if (service.Kind != ServiceKind.Dotnet)
        {
            return;
        }

        var libraries = text.IndexOf("-t:ResolveProjectReferences", StringComparison.Ordinal);
        var ownSources = text.IndexOf($"COPY {PathUtil.DirectoryOf(service.Project)}/ ", StringComparison.Ordinal);
        Assert.True(libraries > 0 && libraries < ownSources, "the libraries' build should come before the service's sources");
        foreach (var reference in RepositoryFiles.Graph.Find(service.Project)!.References)
        {
            Assert.True(text.IndexOf($"COPY {PathUtil.DirectoryOf(reference)}/ ", StringComparison.Ordinal) < libraries, $"{reference}'s sources should be copied before the libraries' build");
        }

        var joined = text.Replace("\\\n", " ", StringComparison.Ordinal);
        var build = joined[libraries..joined.IndexOf('\n', libraries)];
        var publish = PublishLine().Match(joined).Value;
        var runtime = RuntimeArgument().Match(publish).Groups["rid"].Value;
        Assert.Contains("-c Release", publish, StringComparison.Ordinal);
        Assert.Contains("$PUBLISH_PROPERTIES", publish, StringComparison.Ordinal);
        Assert.Contains("-p:Configuration=Release", build, StringComparison.Ordinal);
        Assert.Contains($"-p:RuntimeIdentifier={runtime}", build, StringComparison.Ordinal);
        Assert.Contains("-p:_IsPublishing=true", build, StringComparison.Ordinal);
        Assert.Contains("$PUBLISH_PROPERTIES", build, StringComparison.Ordinal);
    }

    [Fact]
    public void The_copies_of_a_dockerfile_are_read_across_continuation_lines_and_skip_other_stages()
    {
        var copies = DockerfileCopies.Sources("FROM x AS a\nCOPY a.props \\\n  b.props ./\nCOPY --from=a /app /app\nADD --chmod=644 c.txt /c\n");
        Assert.Equal(["a.props", "b.props", "c.txt"], copies);
    }

    [GeneratedRegex(@"(?m)^ARG (?<name>[A-Z_]+_IMAGE)=(?<default>\S+)$")]
    private static partial Regex ImageArgument();

    [GeneratedRegex(@"(?m)^FROM (?<image>\S+)")]
    private static partial Regex FromLine();

    [GeneratedRegex(@"(?m)^EXPOSE .*$")]
    private static partial Regex ExposeLine();

    [GeneratedRegex(@"(?m)^RUN dotnet publish .*$")]
    private static partial Regex PublishLine();

    [GeneratedRegex(@" -r (?<rid>[^ $]*(\$\([^)]*\))?)")]
    private static partial Regex RuntimeArgument();
}
