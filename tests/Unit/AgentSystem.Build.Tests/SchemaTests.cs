using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

public class SchemaTests
{
    [Fact]
    public void The_committed_build_schema_matches_the_build()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "AgentSystem.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        var expected = BuildSchema.Generate(ParameterSet.Of(typeof(Build)));

        var committed = File.ReadAllText(Path.Combine(root, BuildPaths.SchemaFileName));

        Assert.True(expected == committed, $"{BuildPaths.SchemaFileName} is stale: run ./build.sh --plan once and commit it.");
    }
}
