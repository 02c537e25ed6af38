using System.Text;
using AgentSystem.Build.Engine;

namespace AgentSystem.Affected.Benchmark;

/// <summary>
/// Writes a git monorepo with a realistic reference graph: projects in layers (core libraries at the bottom, services
/// at the top), each referencing a few projects of lower layers with a bias towards popular ones, a test project for
/// about a third of them, a Directory.Build.props per area importing the root one, central package versions, several source files per project,
/// and a service catalog.
/// </summary>
internal sealed class MonorepoGenerator(int projectCount, int seed = 42)
{
    private const int Layers = 8;
    private const int ProjectsPerArea = 50;
    private const int FilesPerProject = 4;

    public sealed record Generated(string Root, IReadOnlyList<string> ProjectPaths, int FileCount, int ReferenceCount);

    public Generated Write(string root)
    {
        var random = new Random(seed);
        var libraries = (int)(projectCount * 0.75);
        var tests = projectCount - libraries;
        var paths = new List<string>();
        var layerOf = new List<int>();
        var files = 0;
        var references = 0;

        for (var i = 0; i < libraries; i++)
        {
            var layer = i * Layers / libraries;
            var area = $"area{i / ProjectsPerArea:D2}";
            var kind = layer == Layers - 1 ? "services" : "src";
            var name = $"P{i:D4}";
            var path = $"{kind}/{area}/{name}/{name}.csproj";
            var refs = PickReferences(random, paths, layerOf, layer);
            references += refs.Count;
            WriteProject(root, path, refs, isTest: false);
            files += WriteSources(root, path, name) + 1;
            paths.Add(path);
            layerOf.Add(layer);
        }
        for (var i = 0; i < tests; i++)
        {
            var target = paths[random.Next(libraries)];
            var name = $"{Path.GetFileNameWithoutExtension(target)}.Tests{i}";
            var path = $"tests/{name}/{name}.csproj";
            WriteProject(root, path, [target], isTest: true);
            files += WriteSources(root, path, name.Replace('.', '_')) + 1;
            references++;
            paths.Add(path);
        }
        foreach (var area in paths.Where(p => !p.StartsWith("tests/", StringComparison.Ordinal)).Select(p => string.Join('/', p.Split('/')[..2])).Distinct())
        {
            Write(root, $"{area}/Directory.Build.props", "<Project><Import Project=\"$([MSBuild]::GetPathOfFileAbove('Directory.Build.props', '$(MSBuildThisFileDirectory)../'))\" /></Project>");
            files++;
        }
        Write(root, "Directory.Build.props", "<Project><PropertyGroup><Nullable>enable</Nullable></PropertyGroup></Project>");
        Write(root, "Directory.Packages.props", """
            <Project>
              <ItemGroup>
                <PackageVersion Include="Microsoft.Extensions.Logging" Version="10.0.0" />
                <PackageVersion Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageVersion Include="xunit" Version="2.9.3" />
              </ItemGroup>
            </Project>
            """);
        Write(root, "global.json", "{ \"sdk\": { \"version\": \"10.0.100\" } }");
        Write(root, "services/catalog.json", Catalog(paths.Where(p => p.StartsWith("services/", StringComparison.Ordinal))));
        Write(root, "README.md", "# generated");
        files += 5;

        Git(root, "init", "-q", "-b", "main");
        Git(root, "add", "-A");
        Git(root, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "generated");
        return new Generated(root, paths, files, references);
    }

    /// <summary>A feature branch touching a core library, a mid-layer library, a service, a test and docs.</summary>
    public static void MakeChanges(Generated repo)
    {
        Git(repo.Root, "checkout", "-q", "-b", "feature");
        var libraries = repo.ProjectPaths.Where(p => !p.StartsWith("tests/", StringComparison.Ordinal)).ToList();
        foreach (var project in new[] { libraries[3], libraries[libraries.Count / 2], libraries[^2] })
        {
            File.AppendAllText(Path.Combine(repo.Root, Path.GetDirectoryName(project)!, "Class0.cs"), "\n// changed\n");
        }

        var test = repo.ProjectPaths.First(p => p.StartsWith("tests/", StringComparison.Ordinal));
        File.AppendAllText(Path.Combine(repo.Root, Path.GetDirectoryName(test)!, "Class0.cs"), "\n// changed\n");
        File.AppendAllText(Path.Combine(repo.Root, "README.md"), "more\n");
        Git(repo.Root, "add", "-A");
        Git(repo.Root, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "feature");
        File.WriteAllText(Path.Combine(repo.Root, Path.GetDirectoryName(libraries[10])!, "Untracked.cs"), "class Untracked {}");
    }

    private static List<string> PickReferences(Random random, List<string> paths, List<int> layerOf, int layer)
    {
        var lower = Enumerable.Range(0, paths.Count).Where(i => layerOf[i] < layer).ToList();
        if (lower.Count == 0)
        {
            return [];
        }

        var count = Math.Min(lower.Count, 1 + random.Next(4));
        var picked = new HashSet<string>();
        while (picked.Count < count)
        {
            // Squaring a uniform number favours the first (core) projects, as real graphs favour a few popular libraries.
            var index = lower[(int)(Math.Pow(random.NextDouble(), 2) * lower.Count)];
            picked.Add(paths[index]);
        }
        return [.. picked];
    }

    private static void WriteProject(string root, string path, IEnumerable<string> references, bool isTest)
    {
        var directory = Path.GetDirectoryName(path)!;
        var builder = new StringBuilder("<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net10.0</TargetFramework>\n  </PropertyGroup>\n  <ItemGroup>\n");
        if (isTest)
        {
            builder.Append("    <PackageReference Include=\"Microsoft.NET.Test.Sdk\" />\n    <PackageReference Include=\"xunit\" />\n");
        }
        else
        {
            builder.Append("    <PackageReference Include=\"Microsoft.Extensions.Logging\" />\n");
        }

        foreach (var reference in references)
        {
            builder.Append("    <ProjectReference Include=\"").Append(Path.GetRelativePath(directory, reference)).Append("\" />\n");
        }

        builder.Append("  </ItemGroup>\n</Project>\n");
        Write(root, path, builder.ToString());
    }

    private static int WriteSources(string root, string projectPath, string name)
    {
        var directory = Path.GetDirectoryName(projectPath)!;
        for (var i = 0; i < FilesPerProject; i++)
        {
            Write(root, $"{directory}/Class{i}.cs", $"namespace {name};\n\npublic sealed class Class{i}\n{{\n    public int Value => {i};\n}}\n");
        }

        return FilesPerProject;
    }

    private static string Catalog(IEnumerable<string> serviceProjects)
    {
        var entries = serviceProjects.Select(p => $"    {{ \"name\": \"{Path.GetFileNameWithoutExtension(p).ToLowerInvariant()}\", \"project\": \"{p}\" }}");
        return "{\n  \"services\": [\n" + string.Join(",\n", entries) + "\n  ]\n}\n";
    }

    private static void Write(string root, string path, string content)
    {
        var full = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public static void Git(string root, params string[] arguments)
    {
        var result = ProcessRunner.Capture("git", arguments, root);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {result.Error}");
        }
    }
}
