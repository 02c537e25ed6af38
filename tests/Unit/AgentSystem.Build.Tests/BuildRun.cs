using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>Runs a build in a throwaway root and captures what it printed.</summary>
internal sealed class BuildRun<T> where T : BuildBase, new()
{
    public required int ExitCode { get; init; }
    public required string Output { get; init; }
    public required T Build { get; init; }
    public required string Root { get; init; }

    public static BuildRun<T> Of(string[] args, Dictionary<string, string>? environment = null, string? parametersJson = null,
        T? build = null, CancellationToken cancellationToken = default)
    {
        var root = Directory.CreateTempSubdirectory("build-engine-").FullName;
        Directory.CreateDirectory(Path.Combine(root, ".nuke"));
        if (parametersJson is not null)
        {
            File.WriteAllText(Path.Combine(root, BuildPaths.ParametersFileName), parametersJson);
        }

        var writer = new StringWriter();
        Log.Out = writer;
        // As on a developer's machine, whatever CI variables the test run itself has.
        build ??= BuildBase.CreateAs<T>(serverBuild: false);
        var exitCode = BuildHost.Run(build, args, environment ?? [], root, ["Compile"], cancellationToken);
        return new BuildRun<T> { ExitCode = exitCode, Output = writer.ToString(), Build = build, Root = root };
    }
}
