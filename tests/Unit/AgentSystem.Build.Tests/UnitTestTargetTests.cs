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
}
