using AgentSystem.Build.Engine;
using AgentSystem.Build.GitHub;
using AgentSystem.Build.Monorepo;
using AgentSystem.Build.Testing;

namespace AgentSystem.Build.Tests;

/// <summary>--service (what one job of the CI matrix runs) and the step outputs that feed the matrix.</summary>
public sealed class ServiceRestrictionTests : IDisposable
{
    private readonly TempRepo _repo = TempRepo.WithSampleMonorepo();

    public ServiceRestrictionTests() => _repo.Git("checkout", "-q", "-b", "feature");

    public void Dispose() => _repo.Dispose();

    private AffectedResult Detect(bool all = false) => new AffectedDetector(_repo.Root).Detect(null, all);

    /// <summary>Commits <paramref name="files"/> on main, the base, and goes on on the feature branch from there.</summary>
    private void CommitOnMain(string message, params (string Path, string Content)[] files)
    {
        _repo.Git("checkout", "-q", "main");
        foreach (var (path, content) in files)
        {
            _repo.Write(path, content);
        }

        _repo.Commit(message);
        _repo.Git("checkout", "-q", "-B", "feature");
    }

    /// <summary>A build's first run writes its schema, a global input (everything affected): on main, it selects nothing.</summary>
    private void CommitTheSchemaOnMain()
    {
        BuildRun<Build>.Of(["Affected", "--root", _repo.Root], []);
        CommitOnMain("schema", (".nuke/build.schema.json", File.ReadAllText(Path.Combine(_repo.Root, ".nuke", "build.schema.json"))));
    }

    private static string[] Names(AffectedResult result) => result.Services.Select(s => s.Name).ToArray();

    [Fact]
    public void A_service_keeps_its_project_and_the_tests_that_reference_it()
    {
        _repo.Append("services/gateway/Program.cs", "// change");
        var result = Detect().Restrict(["gateway"]);
        Assert.Equal(["gateway"], Names(result));
        Assert.Equal(["services/gateway/Gateway.csproj", "tests/Unit/Gateway.Tests/Gateway.Tests.csproj"], result.Projects);
        Assert.Equal(["tests/Unit/Gateway.Tests/Gateway.Tests.csproj"], result.TestProjects);
    }

    [Fact]
    public void A_service_leaves_out_the_shared_library_and_the_other_services()
    {
        _repo.Append("services/shared/Queue/Queue.cs", "// change");
        var result = Detect().Restrict(["worker"]);
        Assert.Equal(["worker"], Names(result));
        Assert.Equal(["services/worker/Worker.csproj"], result.Projects);
        Assert.Empty(result.TestProjects);
    }

    [Fact]
    public void Shared_keeps_the_affected_projects_no_service_owns()
    {
        _repo.Append("services/shared/Queue/Queue.cs", "// change");
        var result = Detect().Restrict(["shared"]);
        Assert.Empty(result.Services);
        Assert.Equal(["services/shared/Queue/Queue.csproj", "tests/Unit/Queue.Tests/Queue.Tests.csproj"], result.Projects);
        Assert.Equal(["tests/Unit/Queue.Tests/Queue.Tests.csproj"], result.TestProjects);
    }

    [Fact]
    public void Shared_with_everything_selected_includes_the_build_and_the_libraries_but_no_service()
    {
        var result = Detect(all: true).Restrict(["shared"]);
        Assert.Equal(
            ["build/_build.csproj", "services/shared/Defaults/Defaults.csproj", "services/shared/Queue/Queue.csproj", "tests/Unit/Queue.Tests/Queue.Tests.csproj"],
            result.Projects);
        Assert.True(result.All);
    }

    [Fact]
    public void Several_names_combine_and_an_unaffected_service_adds_nothing()
    {
        _repo.Append("services/shared/Queue/Queue.cs", "// change");
        var result = Detect().Restrict(["gateway", "orchestrator", "shared"]);
        Assert.Equal(["orchestrator"], Names(result));
        Assert.Equal(
            ["services/orchestrator/Orchestrator.csproj", "services/shared/Queue/Queue.csproj", "tests/Unit/Queue.Tests/Queue.Tests.csproj"],
            result.Projects);
    }

    [Fact]
    public void An_unknown_name_is_a_usage_error_listing_the_valid_ones()
    {
        var error = Assert.Throws<UsageException>(() => Detect().Restrict(["gateway", "billing"]));
        Assert.Equal("Unknown service 'billing' in --service. Valid: gateway, orchestrator, worker, frontend, shared.", error.Message);
    }

    [Fact]
    public void The_json_contract_is_unchanged_by_a_restriction()
    {
        _repo.Append("services/gateway/Program.cs", "// change");
        using var json = System.Text.Json.JsonDocument.Parse(Detect().Restrict(["gateway"]).ToJson());
        Assert.Equal(["base", "all", "services", "projects"], json.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void The_plan_wraps_its_skip_reasons_to_the_terminals_width()
    {
        var run = BuildRun<Build>.Of(["Test", "--plan", "--root", _repo.Root], new() { ["COLUMNS"] = "100" });

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("skip (", run.Output, StringComparison.Ordinal);
        Assert.All(run.Output.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= 100, $"{line.Length} columns: {line}"));
    }

    [Fact]
    public void The_plan_says_all_rather_than_listing_every_service_on_every_row()
    {
        var run = BuildRun<Build>.Of(["Compile", "--all", "--plan", "--root", _repo.Root], new() { ["COLUMNS"] = "200" });

        Assert.Equal(0, run.ExitCode);
        var compile = run.Output.Split('\n').Single(l => l.Contains(" Compile ", StringComparison.Ordinal));
        // With --all the libraries and the build's tests count too: CI's "shared" entry.
        Assert.Matches($@"\srun\s+all {run.Build.KnownServices.Count}, shared$", compile.TrimEnd());
        Assert.True(run.Build.KnownServices.Count > 1);
    }

    /// <summary>helper-133: "Images --service gateway" with only the worker changed was told "no affected service has an image".</summary>
    [Fact]
    public void Images_skipped_for_a_named_service_not_affected_says_how_to_build_its_image()
    {
        CommitTheSchemaOnMain();
        _repo.Append("services/worker/Program.cs", "// change");

        var run = BuildRun<Build>.Of(["Images", "--plan", "--service", "gateway,shared", "--root", _repo.Root], new() { ["COLUMNS"] = "300" });

        Assert.Equal(0, run.ExitCode);
        var images = run.Output.Split('\n').Single(l => l.Contains(" Images ", StringComparison.Ordinal));
        Assert.Contains("skip (condition: gateway not affected (--service narrows the selection to it); --all --service gateway builds its image all the same)", images, StringComparison.Ordinal);
    }

    /// <summary>helper-95: "--service shared --all" was told that --all builds every image.</summary>
    [Theory]
    [InlineData]
    [InlineData("--all")]
    public void Images_skipped_for_services_without_one_says_so_not_that_all_would_build_them(params string[] all)
    {
        var run = BuildRun<Build>.Of(["Images", "--plan", "--service", "shared", .. all, "--root", _repo.Root], new() { ["COLUMNS"] = "300" });

        Assert.Equal(0, run.ExitCode);
        var images = run.Output.Split('\n').Single(l => l.Contains(" Images ", StringComparison.Ordinal));
        Assert.Contains("skip (condition: no service --service names has an image of its own", images, StringComparison.Ordinal);
    }

    [Fact]
    public void The_plan_shows_only_the_named_service()
    {
        _repo.Append("services/shared/Queue/Queue.cs", "// change");
        var run = BuildRun<Build>.Of(["UnitTest", "--plan", "--service", "worker", "--root", _repo.Root]);
        Assert.Equal(0, run.ExitCode);
        var unitTest = run.Output.Split('\n').Single(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, "UnitTest", ..]);
        Assert.Contains("worker", unitTest, StringComparison.Ordinal);
        Assert.DoesNotContain("orchestrator", unitTest, StringComparison.Ordinal);

        var unknown = BuildRun<Build>.Of(["UnitTest", "--plan", "--service", "billing", "--root", _repo.Root]);
        Assert.Equal(BuildHost.UsageExitCode, unknown.ExitCode);
        Assert.Contains("Unknown service 'billing'", unknown.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Compile")]          // found it only inside its Affected target, after a target table
    [InlineData("Dev", "--plan")]    // never (--plan: were it not refused, Dev would start the system)
    [InlineData("LoadTest", "--plan")]
    public void An_unknown_name_fails_every_target_before_anything_runs(params string[] arguments)
    {
        var run = BuildRun<Build>.Of([.. arguments, "--service", "billing", "--root", _repo.Root]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Unknown service 'billing'", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Status", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--service")]
    [InlineData("--service", ",")]
    public void A_service_list_without_a_name_is_a_usage_error_not_every_service(params string[] option)
    {
        var run = BuildRun<Build>.Of(["Compile", "--plan", "--root", _repo.Root, .. option]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("--service needs a value (one or more names, comma-separated)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Everything_asked_for_with_all_is_said_once_not_warned()
    {
        var run = BuildRun<Build>.Of(["Affected", "--all", "--root", _repo.Root]);

        Assert.Equal(0, run.ExitCode);
        Assert.Single(run.Output.Split('\n'), line => line.Contains("--all: everything selected", StringComparison.Ordinal));
    }

    [Fact]
    public void Dev_refuses_a_service_restriction_it_cannot_honour()
    {
        var run = BuildRun<Build>.Of(["Dev", "--plan", "--service", "worker", "--root", _repo.Root]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Dev: --service: Dev runs the whole system; leave it out", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Images_refuses_push_without_a_registry_before_anything_runs_even_with_nothing_affected()
    {
        // Nothing changed in the sample repository, so Images itself would be skipped; --plan runs nothing either way.
        var run = BuildRun<Build>.Of(["Images", "--push", "--plan", "--root", _repo.Root]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Images: --push needs --registry", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Github_output_lists_the_services_and_shared_and_appends()
    {
        _repo.Append("services/shared/Queue/Queue.cs", "// change");
        var file = Path.Combine(_repo.Root, "github-output");
        File.WriteAllText(file, "earlier=1\n");

        Assert.True(GitHubOutput.Append(file, Detect(), _repo.Root));

        // The sample's orchestrator and worker have no Dockerfile: no image, so no system test.
        Assert.Equal(["earlier=1", """services=["orchestrator","worker","shared"]""", "any=true", "deploy=true", "system=false", "load=false"], File.ReadAllLines(file));
    }

    [Fact]
    public void The_Affected_target_writes_the_step_outputs_to_the_file_its_run_was_given_only()
    {
        _repo.Append("services/gateway/Program.cs", "// change");
        var folder = Directory.CreateTempSubdirectory("github-output-");   // outside the repo: untracked files count
        var file = Path.Combine(folder.FullName, "output");

        Assert.Equal(0, BuildRun<Build>.Of(["Affected", "--root", _repo.Root], new() { ["GITHUB_OUTPUT"] = file }).ExitCode);
        var lines = File.ReadAllLines(file);   // which services: other tests' subject
        Assert.StartsWith("services=[\"gateway\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("any=true", lines);

        var without = BuildRun<Build>.Of(["Affected", "--root", _repo.Root]);
        Assert.Equal(0, without.ExitCode);
        Assert.DoesNotContain("Step outputs", without.Output, StringComparison.Ordinal);   // not the test process's own (on a runner)
        // helper-95: what CI will run is said on any machine too.
        Assert.Matches(@"CI's step outputs would be:\s+services=\[""gateway""", without.Output);
        Assert.Matches(@"any=true\s+deploy=true\s+system=true\s+load=(true|false)", without.Output);
        folder.Delete(recursive: true);
    }

    [Fact]
    public void Affected_names_the_shared_entry_the_step_outputs_will_hold()
    {
        _repo.Append("services/shared/Queue/Queue.cs", "// change");

        var run = BuildRun<Build>.Of(["Affected", "--root", _repo.Root], new() { ["COLUMNS"] = "1000" });
        var narrow = BuildRun<Build>.Of(["Affected", "--root", _repo.Root], new() { ["COLUMNS"] = "50" });

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("shared: ", run.Output, StringComparison.Ordinal);
        Assert.Contains("CI tests them in its 'shared' job", run.Output, StringComparison.Ordinal);
        // Wrapped to the terminal as the table is: the note's lines, indented, fit.
        var note = narrow.Output.Split('\n').SkipWhile(line => !line.Contains("shared: ", StringComparison.Ordinal)).TakeWhile(line => line.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.True(note.Count > 1, narrow.Output);
        Assert.All(note, line => Assert.InRange(line.TrimEnd().Length, 1, 50));
    }

    /// <summary>helper-133: "Not affected: shared", then the shared entry's projects on the next line.</summary>
    [Fact]
    public void Affected_for_shared_alone_lists_its_projects_and_calls_nothing_unaffected()
    {
        CommitTheSchemaOnMain();
        _repo.Append("services/shared/Queue/Queue.cs", "// change");

        var shared = BuildRun<Build>.Of(["Affected", "--service", "shared", "--root", _repo.Root], new() { ["COLUMNS"] = "1000" });
        var gateway = BuildRun<Build>.Of(["Affected", "--service", "gateway", "--root", _repo.Root], new() { ["COLUMNS"] = "1000" });

        Assert.Equal(0, shared.ExitCode);
        Assert.True(shared.Output.Contains("shared: Queue, Queue.Tests (", StringComparison.Ordinal), shared.Output);
        Assert.DoesNotContain("Not affected", shared.Output, StringComparison.Ordinal);
        Assert.Contains("Not affected: gateway (--service narrows the list to it).", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Github_output_without_shared_projects_lists_only_services()
    {
        _repo.Append("services/gateway/Program.cs", "// change");
        Assert.Equal(["""services=["gateway"]""", "any=true", "deploy=true", "system=true", "load=false"], GitHubOutput.Lines(Detect(), _repo.Root));
    }

    [Fact]
    public void Github_output_for_a_change_only_tests_see_runs_the_tests_but_no_deploy()
    {
        _repo.Append("tests/Unit/Queue.Tests/Queue.Tests.csproj", "<!-- change -->");
        Assert.Equal(["""services=["shared"]""", "any=true", "deploy=false", "system=false", "load=false"], GitHubOutput.Lines(Detect(), _repo.Root));
    }

    /// <summary>helper-118: the system job ran (every image built, the system tested) for any change at all.</summary>
    [Fact]
    public void Github_output_asks_for_the_system_job_for_a_service_with_an_image_or_a_system_test_not_for_a_unit_test()
    {
        CommitOnMain("system tests", ("tests/System/Stack.Tests/Stack.Tests.csproj", TempRepo.TestProject()), ("tests/System/Stack.Tests/PageTests.cs", "class PageTests {}"));

        _repo.Append("tests/Unit/Gateway.Tests/HealthTests.cs", "// change");
        Assert.Contains("system=false", GitHubOutput.Lines(Detect(), _repo.Root));

        _repo.Append("tests/System/Stack.Tests/PageTests.cs", "// change");
        Assert.Contains("system=true", GitHubOutput.Lines(Detect(), _repo.Root));

        _repo.Git("checkout", "-q", "--", ".");
        _repo.Append("services/gateway/Program.cs", "// change");
        Assert.Contains("system=true", GitHubOutput.Lines(Detect(), _repo.Root));
    }

    [Fact]
    public void Github_output_asks_for_the_load_job_when_a_project_of_the_load_harness_changed()
    {
        CommitOnMain("load harness", (LoadTests.Project, TempRepo.Project("../../../services/shared/Queue/Queue.csproj")));
        _repo.Append("services/gateway/Program.cs", "// change");
        Assert.Contains("load=false", GitHubOutput.Lines(Detect(), _repo.Root));

        _repo.Append("services/shared/Queue/Queue.cs", "// change");
        Assert.Contains("load=true", GitHubOutput.Lines(Detect(), _repo.Root));
    }

    [Fact]
    public void The_load_test_touches_the_services_its_harness_references_through_any_project()
    {
        _repo.Git("checkout", "-q", "main");
        _repo.Write(LoadTests.Project, TempRepo.Project("../../../services/worker/Worker.csproj", "../../../services/gateway/Gateway.csproj"));
        _repo.Commit("load harness");

        Assert.Equal(["gateway", "worker"], LoadTests.Services(Detect(all: true)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_load_test_says_which_of_its_references_made_it_run()
    {
        // helper-81: --plan explained every skip but no run.
        CommitOnMain("load harness", (LoadTests.Project, TempRepo.Project("../../../services/worker/Worker.csproj", "../../../services/gateway/Gateway.csproj")));
        Assert.Empty(LoadTests.AffectedReferences(Detect()));

        _repo.Append("services/worker/Program.cs", "// change");
        Assert.Equal(["services/worker/Worker.csproj"], LoadTests.AffectedReferences(Detect()));

        // helper-83: the project whose file changed comes before those affected through it.
        _repo.Git("checkout", "-q", "--", ".");
        _repo.Append("services/shared/Defaults/Defaults.cs", "// change");
        Assert.Equal(["services/shared/Defaults/Defaults.csproj", "services/gateway/Gateway.csproj"], LoadTests.AffectedReferences(Detect()));

        _repo.Git("checkout", "-q", "--", ".");
        _repo.Append(LoadTests.Project, "<!-- change -->");
        Assert.Equal([LoadTests.Project], LoadTests.AffectedReferences(Detect()));
    }

    [Fact]
    public void Github_output_when_nothing_is_affected_is_an_empty_matrix_and_any_false()
    {
        Assert.Equal(["services=[]", "any=false", "deploy=false", "system=false", "load=false"], GitHubOutput.Lines(Detect(), _repo.Root));
    }

    [Fact]
    public void Github_output_is_not_written_without_a_path()
    {
        Assert.False(GitHubOutput.Append(null, Detect(), _repo.Root));
        Assert.False(GitHubOutput.Append("", Detect(), _repo.Root));
    }
}
