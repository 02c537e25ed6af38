using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Tests;

/// <summary>A throwaway git repository shaped like this monorepo, for affected-detection tests.</summary>
internal sealed class TempRepo : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("affected-").FullName;

    public static TempRepo WithSampleMonorepo()
    {
        var repo = new TempRepo();
        repo.Git("init", "-q", "-b", "main");
        Directory.CreateDirectory(Path.Combine(repo.Root, ".nuke"));   // what makes a folder a build root (--root)
        repo.Write("global.json", "{}");
        repo.Write("Directory.Build.props", "<Project />");
        repo.Write("Directory.Packages.props", "<Project />");
        repo.Write("README.md", "# sample");
        repo.Write("build/_build.csproj", Project());
        repo.Write("build/Build.cs", "class Build {}");
        repo.Write("services/catalog.json", """
            { "services": [
              { "name": "gateway", "project": "services/gateway/Gateway.csproj", "dockerfile": "services/gateway/Dockerfile", "manifests": "k8s/base/gateway" },
              { "name": "orchestrator", "project": "services/orchestrator/Orchestrator.csproj", "manifests": "k8s/base/orchestrator" },
              { "name": "worker", "project": "services/worker/Worker.csproj", "manifests": "k8s/base/worker" },
              { "name": "frontend", "kind": "node", "project": "services/frontend/package.json" }
            ] }
            """);
        repo.Write("services/shared/Queue/Queue.csproj", Project());
        repo.Write("services/shared/Queue/Queue.cs", "class Queue {}");
        repo.Write("services/shared/Defaults/Defaults.csproj", Project());
        repo.Write("services/shared/Defaults/Defaults.cs", "class Defaults {}");
        repo.Write("services/gateway/Gateway.csproj", Project("../shared/Defaults/Defaults.csproj"));
        repo.Write("services/gateway/Program.cs", "class Program {}");
        repo.Write("services/gateway/Dockerfile", "FROM scratch");
        repo.Write("services/orchestrator/Orchestrator.csproj", Project("../shared/Defaults/Defaults.csproj", "../shared/Queue/Queue.csproj"));
        repo.Write("services/orchestrator/Program.cs", "class Program {}");
        repo.Write("services/worker/Worker.csproj", Project("../shared/Queue/Queue.csproj"));
        repo.Write("services/worker/Program.cs", "class Program {}");
        repo.Write("services/frontend/package.json", """{ "name": "frontend" }""");
        repo.Write("services/frontend/src/App.tsx", "export {}");
        repo.Write("tests/Unit/Gateway.Tests/Gateway.Tests.csproj", TestProject("../../../services/gateway/Gateway.csproj"));
        repo.Write("tests/Unit/Gateway.Tests/HealthTests.cs", "class HealthTests {}");
        repo.Write("tests/Unit/Queue.Tests/Queue.Tests.csproj", TestProject("../../../services/shared/Queue/Queue.csproj"));
        repo.Write("k8s/base/kustomization.yaml", "resources: []");
        repo.Write("k8s/base/gateway/deployment.yaml", "kind: Deployment");
        repo.Write("k8s/overlays/kind/worker-patch.yaml", "kind: Deployment");
        repo.Write("docs/architecture.md", "# docs");
        repo.Commit("initial");
        return repo;
    }

    public static string Project(params string[] references) => ProjectWith("", references);

    /// <summary>An SDK project with more XML (items, imports, properties) after its ProjectReferences.</summary>
    public static string ProjectWith(string body, params string[] references) =>
        $"""<Project Sdk="Microsoft.NET.Sdk"><ItemGroup>{string.Concat(references.Select(r => $"<ProjectReference Include=\"{r}\" />"))}</ItemGroup>{body}</Project>""";

    public static string TestProject(params string[] references) =>
        Project(references).Replace("<ItemGroup>", "<ItemGroup><PackageReference Include=\"Microsoft.NET.Test.Sdk\" />", StringComparison.Ordinal);

    public void Write(string path, string content)
    {
        var full = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public void Append(string path, string content) => File.AppendAllText(Path.Combine(Root, path), content);

    public void Delete(string path) => File.Delete(Path.Combine(Root, path));

    public void Commit(string message)
    {
        Git("add", "-A");
        Git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message);
    }

    public string Git(params string[] arguments)
    {
        var result = ProcessRunner.Capture("git", arguments, Root);
        return result.ExitCode == 0 ? result.Output.Trim() : throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {result.Error}");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>What affected-detection tests read from a result.</summary>
internal static class Selected
{
    public static string[] Names(AffectedResult result) => result.Services.Select(s => s.Name).Order().ToArray();

    /// <summary>One service's reasons, joined by " | ".</summary>
    public static string Reason(AffectedResult result, string service) => string.Join(" | ", result.Services.Single(s => s.Name == service).Reasons);
}
