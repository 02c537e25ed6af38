using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>The UnitTest target as a user meets it on a fresh clone, where nothing changed.</summary>
public sealed class UnitTestTargetTests : IDisposable
{
    private readonly TempRepo _repo = TempRepo.WithSampleMonorepo();

    public UnitTestTargetTests()
    {
        // As in a clone: the schema the build writes is committed, so nothing differs from main.
        _repo.Write(BuildPaths.SchemaFileName, BuildSchema.Generate(ParameterSet.Of(typeof(Build))));
        _repo.Commit("schema");
        _repo.Git("checkout", "-q", "-b", "feature");
    }

    public void Dispose() => _repo.Dispose();

    /// <summary>For a service (named alone, with nothing affected, it runs every unit test: TargetOptionTests).</summary>
    [Fact]
    public void With_nothing_affected_it_says_so_instead_of_printing_an_empty_section()
    {
        var run = BuildRun<Build>.Of(["UnitTest", "--service", "gateway", "--root", _repo.Root]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("No affected unit test project.", run.Output, StringComparison.Ordinal);
    }

    /// <summary>helper-126: named with --service, the plan said "named ... it runs every one", and it had been named.</summary>
    [Fact]
    public void Within_a_service_the_plan_says_how_to_run_its_every_test()
    {
        Dictionary<string, string> wide = new() { ["COLUMNS"] = "250" };   // the plan's cells on one line
        var unit = BuildRun<Build>.Of(["UnitTest", "--service", "gateway", "--plan", "--root", _repo.Root], wide);
        var integration = BuildRun<Build>.Of(["IntegrationTest", "--service", "gateway", "--plan", "--root", _repo.Root], wide);

        Assert.Contains("no affected unit test; with --all it runs every one of gateway's", unit.Output, StringComparison.Ordinal);
        Assert.Contains("no affected integration test project; with --all it runs every one of gateway's", integration.Output, StringComparison.Ordinal);
    }
}
