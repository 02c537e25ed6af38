using AgentSystem.Build.GitHub;
using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Tests;

public class CiWorkflowTests
{
    private static string RepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "AgentSystem.sln"))) root = Path.GetDirectoryName(root)!;
        return root;
    }

    [Fact]
    public void The_committed_workflow_matches_the_generator()
    {
        var path = Path.Combine(RepositoryRoot(), CiWorkflow.Path);
        Assert.True(File.Exists(path), $"{CiWorkflow.Path} is missing: run ./build.sh GitHubActions and commit it.");
        Assert.True(CiWorkflow.Generate() == File.ReadAllText(path), $"{CiWorkflow.Path} is stale: run ./build.sh GitHubActions and commit it.");
    }

    [Fact]
    public void The_workflow_is_yaml_with_a_matrix_fed_by_the_affected_job()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(CiWorkflow.Generate()));
        var root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        var jobs = (YamlMappingNode)root["jobs"];

        var affected = (YamlMappingNode)jobs["affected"];
        var outputs = (YamlMappingNode)affected["outputs"];
        Assert.Equal("${{ steps.affected.outputs.services }}", outputs["services"].ToString());
        Assert.Equal("${{ steps.affected.outputs.any }}", outputs["any"].ToString());
        var affectedStep = ((YamlSequenceNode)affected["steps"]).Cast<YamlMappingNode>().Single(s => s.Children.ContainsKey("id"));
        Assert.StartsWith("./build.sh Affected --base", affectedStep["run"].ToString(), StringComparison.Ordinal);

        var test = (YamlMappingNode)jobs["test"];
        Assert.Equal("affected", test["needs"].ToString());
        Assert.Equal("needs.affected.outputs.any == 'true'", test["if"].ToString());
        var strategy = (YamlMappingNode)test["strategy"];
        Assert.Equal("false", strategy["fail-fast"].ToString());
        Assert.Equal("${{ fromJson(needs.affected.outputs.services) }}", ((YamlMappingNode)strategy["matrix"])["service"].ToString());
        var runs = ((YamlSequenceNode)test["steps"]).Cast<YamlMappingNode>().Where(s => s.Children.ContainsKey("run")).Select(s => s["run"].ToString());
        Assert.Contains(runs, r => r.StartsWith("./build.sh Test --base", StringComparison.Ordinal) && r.EndsWith("--service \"${{ matrix.service }}\"", StringComparison.Ordinal));
    }
}
