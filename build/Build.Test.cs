using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;
using AgentSystem.Build.Testing;

namespace AgentSystem.Build;

partial class Build
{
    string TestResultsDirectory => Path.Combine(ArtifactsDirectory, "test-results");

    Target Test => _ => _
        .Description("Runs the unit tests of the affected projects (and the frontend's tests); TRX/JUnit under artifacts/test-results")
        .DependsOn(Compile)
        .Touches(() => AffectedServiceNames)
        .Executes(() =>
        {
            DeleteDirectory(TestResultsDirectory);
            Directory.CreateDirectory(TestResultsDirectory);
            var failures = new List<string>();

            var testProjects = Changes.TestProjects;
            if (testProjects.Count > 0)
            {
                var filter = WriteSolutionFilter("affected-tests.slnf", testProjects);
                Log.Info($"dotnet test: {testProjects.Count} test project(s)");
                try
                {
                    ProcessRunner.Run("dotnet", ["test", filter, "--no-build", "-c", Configuration.ToString(), "--logger", "trx",
                        "--results-directory", TestResultsDirectory, "-nodeReuse:false"], RootDirectory, DotnetEnvironment, CancellationToken);
                }
                catch (ToolFailedException e)
                {
                    failures.Add($"dotnet test: {e.Message}");
                }
            }

            foreach (var package in AffectedNodePackages)
            {
                var folder = Path.Combine(RootDirectory, PathUtil.DirectoryOf(package));
                var junit = Path.Combine(TestResultsDirectory, $"{Path.GetFileName(folder)}-junit.xml");
                try
                {
                    ProcessRunner.Run("npm", ["test", "--", "--reporter=default", "--reporter=junit", $"--outputFile.junit={junit}"], folder, cancellationToken: CancellationToken);
                }
                catch (ToolFailedException e)
                {
                    failures.Add($"npm test in {PathUtil.DirectoryOf(package)}: {e.Message}");
                }
            }

            var tally = Directory.EnumerateFiles(TestResultsDirectory, "*.trx", SearchOption.AllDirectories).Select(TestTally.FromTrx)
                .Concat(Directory.EnumerateFiles(TestResultsDirectory, "*-junit.xml").Select(TestTally.FromJUnit))
                .Aggregate(TestTally.Empty, (a, b) => a + b);
            AddClosingLine(tally.ToString());
            if (failures.Count > 0 || tally.Failed > 0)
                throw new TargetFailedException($"Tests failed ({tally}): {string.Join("; ", failures)}");
        });
}
