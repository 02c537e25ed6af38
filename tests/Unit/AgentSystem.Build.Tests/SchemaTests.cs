using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Tests;

public class SchemaTests
{
    [Fact]
    public void The_committed_build_schema_matches_the_build()
    {
        var root = RepositoryFiles.Root;
        var expected = BuildSchema.Generate(ParameterSet.Of(typeof(Build)));

        // Git's index, not the working tree: every ./build.sh run rewrites the file before the tests run, so the file
        // itself always matches (a stale committed one showed only as a "-dirty" image tag in CI).
        var committed = new Git(root).Show("", BuildPaths.SchemaFileName) ?? File.ReadAllText(Path.Combine(root, BuildPaths.SchemaFileName));

        Assert.True(expected == committed, $"{BuildPaths.SchemaFileName} is stale in git: run ./build.sh --plan once and commit (or stage) it.");
    }
}
