using AgentSystem.Build.Engine;

namespace AgentSystem.Build;

internal partial class Build
{
    private Target BenchmarkAffected => _ => _
        .Description("Times affected detection on generated monorepos of 250, 1000 and 2000 projects")
        .WritesOutputs()
        .Executes(() => ProcessRunner.Run("dotnet",
            ["run", "-c", "Release", "--project", "tests/Benchmarks/AgentSystem.Affected.Benchmark", "--", "250", "1000", "2000"],
            RootDirectory, DotnetEnvironment, CancellationToken));
}
