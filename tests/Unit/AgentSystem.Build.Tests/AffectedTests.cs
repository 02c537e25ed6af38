using System.Text.Json;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;
using static AgentSystem.Build.Tests.Selected;

namespace AgentSystem.Build.Tests;

public sealed class AffectedTests : IDisposable
{
    private readonly TempRepo _repo = TempRepo.WithSampleMonorepo();

    public AffectedTests() => _repo.Git("checkout", "-q", "-b", "feature");

    public void Dispose() => _repo.Dispose();

    private AffectedResult Detect(string? baseRef = null, bool all = false) => new AffectedDetector(_repo.Root).Detect(baseRef, all);


    /// <summary>helper-116's walk, then a downloaded archive: git's failure was a stack trace (an unhandled one under --plan).</summary>
    [Theory]
    [InlineData("Compile", "--plan")]
    [InlineData("Affected")]
    public void A_root_that_is_not_a_git_repository_is_a_usage_error_that_says_so(params string[] arguments)
    {
        var run = BuildRun<Build>.Of(arguments);   // a root with .nuke and nothing else

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("is not a git repository (a downloaded archive?)", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_changed_selects_nothing()
    {
        var result = Detect();
        Assert.False(result.All);
        Assert.Empty(result.Services);
        Assert.Empty(result.Projects);
        Assert.Equal(_repo.Git("rev-parse", "main"), result.Base);
    }

    /// <summary>helper-126: --base main compared with main's tip, so main's own commits since the branch counted as its changes.</summary>
    [Fact]
    public void A_base_that_moved_on_since_the_branch_is_compared_from_where_the_branch_left_it()
    {
        _repo.Append("services/gateway/Program.cs", "// the branch's change");
        _repo.Commit("change gateway");
        _repo.Git("checkout", "-q", "main");
        _repo.Append("services/worker/Program.cs", "// main moved on");
        _repo.Commit("change worker");
        _repo.Git("checkout", "-q", "feature");

        var result = Detect(baseRef: "main");

        Assert.Equal(["gateway"], Names(result));
        Assert.Equal(_repo.Git("merge-base", "HEAD", "main"), result.Base);
        Assert.Equal("merge-base of HEAD and --base main", result.BaseDescription);
    }

    [Fact]
    public void A_file_in_a_service_selects_that_service_and_its_tests()
    {
        _repo.Append("services/gateway/Program.cs", "// change");
        _repo.Commit("change gateway");
        var result = Detect();
        Assert.Equal(["gateway"], Names(result));
        Assert.Equal("services/gateway/Program.cs -> Gateway", Reason(result, "gateway"));
        Assert.Equal(["services/gateway/Gateway.csproj", "tests/Unit/Gateway.Tests/Gateway.Tests.csproj"], result.Projects);
        Assert.Equal(["tests/Unit/Gateway.Tests/Gateway.Tests.csproj"], result.TestProjects);
    }

    [Fact]
    public void A_shared_library_selects_its_dependents_with_the_chain()
    {
        _repo.Append("services/shared/Queue/Queue.cs", "// change");
        var result = Detect();
        Assert.Equal(["orchestrator", "worker"], Names(result));
        Assert.Equal("services/shared/Queue/Queue.cs -> Queue -> Orchestrator", Reason(result, "orchestrator"));
        Assert.Equal("services/shared/Queue/Queue.cs -> Queue -> Worker", Reason(result, "worker"));
        Assert.Contains("tests/Unit/Queue.Tests/Queue.Tests.csproj", result.Projects);
        Assert.DoesNotContain("services/gateway/Gateway.csproj", result.Projects);
    }

    [Fact]
    public void Dependents_are_followed_transitively()
    {
        _repo.Write("services/shared/Core/Core.csproj", TempRepo.Project());
        _repo.Write("services/shared/Queue/Queue.csproj", TempRepo.Project("../Core/Core.csproj"));
        _repo.Commit("queue uses core");
        _repo.Append("services/shared/Core/Core.csproj", "\n");
        var result = Detect(baseRef: "HEAD");
        Assert.Equal(["orchestrator", "worker"], Names(result));
        Assert.Equal("services/shared/Core/Core.csproj -> Core -> Queue -> Worker", Reason(result, "worker"));
    }

    [Fact]
    public void Uncommitted_and_untracked_files_count()
    {
        _repo.Append("services/worker/Program.cs", "// unstaged");
        _repo.Write("services/gateway/NewFile.cs", "class NewFile {}");
        Assert.Equal(["gateway", "worker"], Names(Detect()));
    }

    [Fact]
    public void A_project_moved_but_not_staged_is_read_where_it_is_now()
    {
        Directory.Move(Path.Combine(_repo.Root, "services/worker"), Path.Combine(_repo.Root, "services/worker2"));
        var result = Detect();
        Assert.Contains("services/worker2/Worker.csproj", result.Projects);
        Assert.DoesNotContain("services/worker/Worker.csproj", result.Projects);
    }

    [Fact]
    public void A_deleted_file_selects_its_project()
    {
        _repo.Delete("services/worker/Program.cs");
        Assert.Equal(["worker"], Names(Detect()));
    }

    [Fact]
    public void Documentation_alone_selects_nothing()
    {
        _repo.Append("README.md", "more");
        _repo.Append("docs/architecture.md", "more");
        _repo.Write("services/gateway/README.md", "gateway notes");
        var result = Detect();
        Assert.Empty(result.Services);
        Assert.Empty(result.Projects);
        Assert.Equal(3, result.Ignored.Count);
    }

    [Theory]
    [InlineData("global.json")]
    [InlineData("nuget.config")]
    [InlineData(".config/dotnet-tools.json")]
    [InlineData("build/Build.cs")]
    [InlineData("services/catalog.json")]
    public void A_global_input_selects_everything(string file)
    {
        if (File.Exists(Path.Combine(_repo.Root, file)))
        {
            _repo.Append(file, " ");
        }
        else
        {
            _repo.Write(file, "{}");
        }

        var result = Detect();
        Assert.Equal(["frontend", "gateway", "orchestrator", "worker"], Names(result));
        Assert.StartsWith($"{file}: global input", Reason(result, "gateway"), StringComparison.Ordinal);
        Assert.Contains("services/shared/Queue/Queue.csproj", result.Projects);
        Assert.Contains("services/frontend/package.json", result.Projects);
    }

    [Fact]
    public void Directory_build_props_selects_the_dotnet_projects_below_its_folder()
    {
        _repo.Write("services/shared/Directory.Build.props", "<Project />");
        var result = Detect();
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(result));
        Assert.Equal("services/shared/Directory.Build.props (applies to the .NET projects below services/shared/) -> Queue -> Worker", Reason(result, "worker"));

        _repo.Commit("props");
        _repo.Append("Directory.Build.props", "\n");
        var root = Detect(baseRef: "HEAD");
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(root));
        Assert.Contains("build/_build.csproj", root.Projects);
        Assert.DoesNotContain("services/frontend/package.json", root.Projects);
    }

    [Fact]
    public void A_service_dockerfile_or_manifest_selects_that_service()
    {
        _repo.Append("services/gateway/Dockerfile", "\nUSER 1000");
        _repo.Append("k8s/overlays/kind/worker-patch.yaml", "\n");
        var result = Detect();
        Assert.Equal(["gateway", "worker"], Names(result));
        Assert.Equal("services/gateway/Dockerfile: gateway's image definition", Reason(result, "gateway"));
        Assert.Equal("k8s/overlays/kind/worker-patch.yaml: worker's Kubernetes manifests", Reason(result, "worker"));
        Assert.Contains("services/gateway/Gateway.csproj", result.Projects);
    }

    [Fact]
    public void A_manifest_under_the_service_folder_selects_it()
    {
        _repo.Append("k8s/base/gateway/deployment.yaml", "\n");
        Assert.Equal(["gateway"], Names(Detect()));
    }

    [Fact]
    public void A_shared_manifest_selects_every_service()
    {
        _repo.Append("k8s/base/kustomization.yaml", "\n");
        var result = Detect();
        Assert.False(result.All);
        Assert.Equal(["frontend", "gateway", "orchestrator", "worker"], Names(result));
        Assert.DoesNotContain("tests/Unit/Queue.Tests/Queue.Tests.csproj", result.Projects);
    }

    /// <summary>helper-126: a README change selected nothing, and the build's tests that check its tables never ran in CI.</summary>
    [Fact]
    public void Documentation_a_test_takes_as_an_item_selects_that_test()
    {
        _repo.Write("tests/Unit/Repo.Tests/Repo.Tests.csproj", TempRepo.ProjectWith("""
              <ItemGroup>
                <None Include="../../../README.md" />
              </ItemGroup>
            """));
        _repo.Commit("tests that read the README");
        _repo.Append("README.md", "more");
        _repo.Append("docs/architecture.md", "more");

        var result = Detect(baseRef: "HEAD");

        Assert.Equal(["tests/Unit/Repo.Tests/Repo.Tests.csproj"], result.Projects);
        Assert.Empty(Names(result));
        Assert.Equal([("docs/architecture.md", "documentation")], result.Ignored);
    }

    /// <summary>helper-126: the images are built from the repository's root, whose .dockerignore selected nothing.</summary>
    [Fact]
    public void The_build_contexts_dockerignore_selects_every_service_with_an_image_and_a_dockerfiles_own_its_service()
    {
        _repo.Write(".dockerignore", "**/bin\n");
        _repo.Commit("the context's ignore file");

        _repo.Append(".dockerignore", "**/obj\n");
        var context = Detect(baseRef: "HEAD");
        _repo.Git("checkout", "-q", "--", ".dockerignore");
        _repo.Write("services/gateway/Dockerfile.dockerignore", "**/obj\n");
        var dockerfiles = Detect(baseRef: "HEAD");

        Assert.Equal(["gateway"], Names(context));   // the only service of the sample catalog with a Dockerfile
        Assert.Contains(".dockerignore: what every image's build context leaves out", context.Services.Single().Reasons);
        // The gateway's folder holds it, so the folder alone would select the gateway: the reason is the rule's.
        Assert.Contains("services/gateway/Dockerfile.dockerignore: gateway's image definition", dockerfiles.Services.Single().Reasons);
    }

    /// <summary>A test project that reads the repository's manifests, image definitions or Compose file lists them as items.</summary>
    [Fact]
    public void A_manifest_an_image_definition_or_an_unowned_file_selects_the_tests_that_take_it_as_an_item()
    {
        _repo.Write("tests/Unit/Repo.Tests/Repo.Tests.csproj", TempRepo.ProjectWith("""
              <ItemGroup>
                <None Include="../../../k8s/**/*" />
                <None Include="../../../services/*/Dockerfile" />
                <None Include="../../../services/compose.yml" />
              </ItemGroup>
            """));
        _repo.Write("services/compose.yml", "services: {}\n");
        _repo.Commit("tests that read the repository");

        foreach (var file in new[] { "k8s/base/kustomization.yaml", "services/gateway/Dockerfile", "services/compose.yml" })
        {
            _repo.Append(file, "\n");
            Assert.Contains("tests/Unit/Repo.Tests/Repo.Tests.csproj", Detect(baseRef: "HEAD").Projects);
            _repo.Git("checkout", "-q", "--", file);
        }
    }

    /// <summary>helper-116: a comment in a unit test selected its service, so CI built its image and deployed it.</summary>
    [Fact]
    public void A_test_change_runs_its_tests_in_the_shared_job_and_selects_no_service()
    {
        _repo.Append("tests/Unit/Gateway.Tests/HealthTests.cs", "// more");
        var result = Detect();
        Assert.Empty(Names(result));
        Assert.Equal(["tests/Unit/Gateway.Tests/Gateway.Tests.csproj"], result.TestProjects);
        Assert.Equal(["shared"], result.MatrixEntries());
        Assert.Equal(["tests/Unit/Gateway.Tests/Gateway.Tests.csproj"], result.Restrict(["shared"]).TestProjects);
        Assert.Equal(["tests/Unit/Gateway.Tests/Gateway.Tests.csproj"], result.Restrict(["gateway"]).TestProjects);   // Test --service gateway runs it
        Assert.Empty(result.Restrict(["orchestrator"]).Projects);
    }

    [Fact]
    public void A_frontend_file_selects_only_the_frontend()
    {
        _repo.Append("services/frontend/src/App.tsx", "// more");
        var result = Detect();
        Assert.Equal(["frontend"], Names(result));
        Assert.Equal(["services/frontend/package.json"], result.Projects);
    }

    /// <summary>The system tests serve the frontend's build to a browser, but no project of theirs references it.</summary>
    private void AddSystemTestsThatTestTheFrontend()
    {
        _repo.Write(SystemTests, TempRepo.TestProject("../../../services/gateway/Gateway.csproj", "../../../services/worker/Worker.csproj"));
        _repo.Write("services/catalog.json", $$"""
            { "services": [
              { "name": "gateway", "project": "services/gateway/Gateway.csproj" },
              { "name": "worker", "project": "services/worker/Worker.csproj" },
              { "name": "frontend", "kind": "node", "project": "services/frontend/package.json", "testedBy": ["{{SystemTests}}"] }
            ] }
            """);
        _repo.Commit("system tests");
    }

    private const string SystemTests = "tests/Integration/System.Tests/System.Tests.csproj";

    [Fact]
    public void A_frontend_file_also_selects_the_tests_the_catalog_says_test_it_but_not_the_services_they_reference()
    {
        AddSystemTestsThatTestTheFrontend();
        _repo.Append("services/frontend/src/App.tsx", "// more");

        var result = Detect(baseRef: "HEAD");

        Assert.Equal(["frontend"], Names(result));
        Assert.Equal(["services/frontend/package.json", SystemTests], result.Projects);
        Assert.Equal([SystemTests], result.TestProjects);
        Assert.Equal([SystemTests], result.Restrict(["frontend"]).TestProjects);
        Assert.Equal(["frontend"], result.MatrixEntries());   // no shared job for a test project the frontend owns
    }

    [Fact]
    public void A_test_library_change_tests_the_services_tests_in_the_shared_job_when_their_service_is_not_affected()
    {
        // A library of fakes the gateway's tests use: a change to it affects them, not the gateway.
        const string fakes = "tests/Unit/Testing.Fakes/Testing.Fakes.csproj";
        const string gatewayTests = "tests/Unit/Gateway.Tests/Gateway.Tests.csproj";
        _repo.Write(fakes, TempRepo.Project());
        _repo.Write("tests/Unit/Testing.Fakes/FakeClock.cs", "class FakeClock {}");
        _repo.Write(gatewayTests, TempRepo.TestProject("../../../services/gateway/Gateway.csproj", "../Testing.Fakes/Testing.Fakes.csproj"));
        _repo.Commit("fakes");
        _repo.Append("tests/Unit/Testing.Fakes/FakeClock.cs", "// change");

        var result = Detect(baseRef: "HEAD");

        Assert.Empty(Names(result));
        Assert.Equal([gatewayTests, fakes], result.Projects);
        Assert.Equal(["shared"], result.MatrixEntries());
        Assert.Equal([gatewayTests], result.Restrict(["shared"]).TestProjects);   // before, in no job's selection
        Assert.Equal([gatewayTests], result.Restrict(["gateway"]).Projects);   // named, the gateway keeps its affected tests
        Assert.Empty(result.Restrict(["gateway"]).Services);

        // With the gateway affected too, its job tests them, and the shared one keeps only the library.
        _repo.Append("services/gateway/Program.cs", "// change");
        var both = Detect(baseRef: "HEAD");
        Assert.Equal(["gateway", "shared"], both.MatrixEntries());
        Assert.Equal([fakes], both.Restrict(["shared"]).Projects);
    }

    [Fact]
    public void Tests_the_catalog_names_run_in_the_job_of_each_service_that_owns_them()
    {
        AddSystemTestsThatTestTheFrontend();
        _repo.Append("services/frontend/src/App.tsx", "// more");
        _repo.Append("services/gateway/Program.cs", "// more");

        var result = Detect(baseRef: "HEAD");

        Assert.Equal(["frontend", "gateway"], Names(result).Order());
        Assert.Equal([SystemTests], result.Restrict(["frontend"]).TestProjects);
        Assert.Contains(SystemTests, result.Restrict(["gateway"]).TestProjects);
        Assert.Equal(["frontend", "gateway"], result.MatrixEntries().Order());
    }

    /// <summary>helper-133: `Test --service gateway` ran the system tests a worker change affected, which the worker's job runs.</summary>
    [Fact]
    public void A_service_not_affected_keeps_none_of_the_tests_another_services_job_runs()
    {
        AddSystemTestsThatTestTheFrontend();
        _repo.Append("services/worker/Program.cs", "// more");

        var result = Detect(baseRef: "HEAD");

        Assert.Equal(["worker"], result.MatrixEntries());
        Assert.Contains(SystemTests, result.Restrict(["worker"]).TestProjects);
        Assert.Empty(result.Restrict(["gateway"]).Projects);
        Assert.Empty(result.Restrict(["frontend"]).Projects);
        Assert.Empty(result.Restrict(["gateway"]).MatrixEntries());
        Assert.Empty(result.Restrict(["shared"]).Projects);
    }

    [Fact]
    public void Every_test_project_the_repositorys_catalog_names_in_testedBy_is_one()
    {
        var graph = RepositoryFiles.Graph;
        var named = RepositoryFiles.Catalog.Services.SelectMany(s => s.TestedBy.Select(path => (s.Name, path))).ToList();

        Assert.NotEmpty(named);
        Assert.All(named, entry => Assert.True(graph.Find(entry.path) is { IsTest: true }, $"{entry.Name}'s testedBy names {entry.path}, not a test project"));
    }

    [Fact]
    public void A_file_no_project_owns_affects_nothing_and_says_so()
    {
        _repo.Write("scripts/tool.sh", "echo");
        var result = Detect();
        Assert.Empty(result.Services);
        Assert.Equal([("scripts/tool.sh", "no project owns it")], result.Ignored);
    }

    [Fact]
    public void A_file_imported_by_a_project_selects_it()
    {
        _repo.Write("eng/common.props", "<Project />");
        _repo.Write("services/worker/Worker.csproj", TempRepo.Project("../shared/Queue/Queue.csproj").Replace("<ItemGroup>", "<Import Project=\"../../eng/common.props\" /><ItemGroup>", StringComparison.Ordinal));
        _repo.Commit("import");
        _repo.Append("eng/common.props", "\n");
        var result = Detect(baseRef: "HEAD");
        Assert.Equal(["worker"], Names(result));
        Assert.Equal("eng/common.props -> imported by services/worker/Worker.csproj -> Worker", Reason(result, "worker"));
    }

    [Fact]
    public void All_selects_everything_and_says_why()
    {
        var result = Detect(all: true);
        Assert.True(result.All);
        Assert.Null(result.Base);
        Assert.Equal(4, result.Services.Count);
        Assert.Equal(9, result.Projects.Count);
    }

    [Fact]
    public void An_explicit_base_is_used()
    {
        _repo.Append("services/worker/Program.cs", "// one");
        _repo.Commit("one");
        _repo.Append("services/gateway/Program.cs", "// two");
        _repo.Commit("two");
        Assert.Equal(["gateway"], Names(Detect(baseRef: "HEAD~1")));
        Assert.Equal(["gateway", "worker"], Names(Detect()));
    }

    [Fact]
    public void No_main_branch_selects_everything_and_says_why()
    {
        _repo.Git("branch", "-D", "main");
        var result = Detect();
        Assert.True(result.All);
        Assert.Contains("no base found", result.AllReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000")]   // GitHub's "before" of a new branch
    [InlineData("3f2a9c1e0b7d41aa9b6c2d8e5f7a1b3c4d5e6f70")]   // a commit a force push removed
    public void A_commit_id_the_clone_lacks_selects_everything_and_says_why(string baseRef)
    {
        var result = Detect(baseRef: baseRef);
        Assert.True(result.All);
        Assert.Contains($"--base {baseRef} names no commit", result.AllReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_that_resolves_to_nothing_is_a_usage_error_not_a_full_build()
    {
        var error = Assert.Throws<UsageException>(() => Detect(baseRef: "orgin/main"));
        Assert.Contains("--base orgin/main names no branch, tag or commit", error.Message, StringComparison.Ordinal);
    }

    /// <summary>helper-133: a mistyped target, parameter or service got a suggestion; a mistyped base did not.</summary>
    [Fact]
    public void A_mistyped_base_names_the_closest_branch()
    {
        var error = Assert.Throws<UsageException>(() => Detect(baseRef: "mian"));
        Assert.Contains("--base mian names no branch, tag or commit in this clone. Did you mean 'main'?", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Affected")]          // ran as a target and failed: the message twice, then a summary table
    [InlineData("Compile", "--plan")]
    public void A_base_that_names_nothing_fails_every_target_before_anything_runs(params string[] arguments)
    {
        var run = BuildRun<Build>.Of([.. arguments, "--base", "orgin/main", "--root", _repo.Root]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(run.Output, "--base orgin/main names no branch, tag or commit"));
        Assert.DoesNotContain("Status", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_base_is_quoted_in_the_reason_everything_is_selected()
    {
        var result = Detect(baseRef: "");
        Assert.True(result.All);
        Assert.StartsWith("--base ('') names no commit", result.AllReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_base_from_the_environment_is_named_as_such()
    {
        // A shell may have BASE set for something else: the message must not speak of an option nobody typed.
        var error = Assert.Throws<UsageException>(() => new AffectedDetector(_repo.Root).Detect("/usr", all: false, "environment variable BASE"));
        Assert.StartsWith("environment variable BASE ('/usr') names no branch, tag or commit", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--base", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shallow_clone_without_the_base_selects_everything_and_says_why()
    {
        _repo.Append("services/worker/Program.cs", "// one");
        _repo.Commit("one");
        _repo.Git("update-ref", "refs/remotes/origin/main", "main");
        using var clone = new TempRepo();
        clone.Git("clone", "-q", "--depth", "1", "--branch", "feature", "file://" + _repo.Root, ".");
        clone.Git("fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main");
        var result = new AffectedDetector(clone.Root).Detect(null, false);
        Assert.True(result.All);
        Assert.Contains("shallow clone", result.AllReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Origin_main_is_preferred_over_main()
    {
        _repo.Git("update-ref", "refs/remotes/origin/main", "main");
        _repo.Append("services/worker/Program.cs", "// one");
        _repo.Commit("one");
        _repo.Git("checkout", "-q", "main");
        _repo.Git("merge", "-q", "--ff-only", "feature");
        _repo.Git("checkout", "-q", "feature");
        var result = Detect();
        Assert.Equal(["worker"], Names(result));
        Assert.Equal("merge-base of HEAD and origin/main", result.BaseDescription);
    }

    [Fact]
    public void The_json_has_the_contract_shape()
    {
        _repo.Append("services/shared/Queue/Queue.cs", "// change");
        var result = Detect();
        using var json = JsonDocument.Parse(result.ToJson());
        var root = json.RootElement;
        Assert.Equal(["base", "all", "services", "projects"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(result.Base, root.GetProperty("base").GetString());
        Assert.False(root.GetProperty("all").GetBoolean());
        var first = root.GetProperty("services")[0];
        Assert.Equal("orchestrator", first.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Array, first.GetProperty("reasons").ValueKind);
        Assert.Equal(result.Projects, root.GetProperty("projects").EnumerateArray().Select(p => p.GetString()));

        using var all = JsonDocument.Parse(Detect(all: true).ToJson());
        Assert.Equal(JsonValueKind.Null, all.RootElement.GetProperty("base").ValueKind);
        Assert.True(all.RootElement.GetProperty("all").GetBoolean());
    }

    [Fact]
    public void A_new_service_folder_is_a_service_by_convention()
    {
        _repo.Write("services/billing/Billing.csproj", TempRepo.Project());
        var result = Detect();
        Assert.Equal(["billing"], Names(result));
    }
}
