namespace AgentSystem.Build.Tests;

/// <summary>
/// The real build with a target skipped by name: what only that target needs is left out, and the targets that run
/// still read the changes, which are computed when first asked for, not by the Affected target.
/// </summary>
public sealed class SkippedTargetTests : IDisposable
{
    private readonly TempRepo _repo = TempRepo.WithSampleMonorepo();

    public void Dispose() => _repo.Dispose();

    private BuildRun<Build> Run(params string[] args) => BuildRun<Build>.Of([.. args, "--root", _repo.Root], new() { ["COLUMNS"] = "200" });

    private static List<string> PlanRows(BuildRun<Build> run) =>
        run.Output.Split('\n').Where(line => line.Length > 0 && char.IsAsciiDigit(line[0])).Select(line => line.TrimEnd('\r')).ToList();

    [Fact]
    public void Skipping_images_leaves_out_affected_and_system_up_still_names_its_services()
    {
        var rows = PlanRows(Run("SystemUp", "--all", "--skip", "Images", "--plan"));

        Assert.Equal(5, rows.Count);
        Assert.DoesNotContain(rows, row => row.Contains("Affected", StringComparison.Ordinal));
        // helper-102: its refusals come before any image is built.
        Assert.Matches(@"^2\s+SystemPreflight\s+DockerEngine\s+run", rows[1]);
        Assert.Matches(@"^4\s+Images\s+DockerEngine, BaseImages\s+skip \(--skip\)", rows[3]);
        Assert.Matches(@"^5\s+SystemUp\s+DockerEngine, SystemPreflight, Images, BaseImages\s+run\s+all 4$", rows[4]);
    }

    /// <summary>--plan says why a target runs that was not named: the targets that run and need it, not a skipped one.</summary>
    [Fact]
    public void A_target_run_for_others_names_those_of_them_that_run()
    {
        var rows = PlanRows(Run("SystemUp", "--all", "--skip", "Images", "--plan"));

        Assert.Contains(rows, row => System.Text.RegularExpressions.Regex.IsMatch(row, @"^\d+\s+DockerEngine\s+run \(for SystemPreflight, BaseImages, SystemUp\)"));
        Assert.Contains(rows, row => System.Text.RegularExpressions.Regex.IsMatch(row, @"^\d+\s+SystemPreflight\s+DockerEngine\s+run \(for SystemUp\)"));
        Assert.Matches(@"^5\s+SystemUp\s+DockerEngine, SystemPreflight, Images, BaseImages\s+run\s+all 4$", rows[4]);
    }

    /// <summary>helper-100: BaseImages was the only way Images and SystemUp reached DockerEngine, which sets up the Docker they call.</summary>
    [Fact]
    public void Skipping_base_images_keeps_the_docker_engine_the_image_targets_call()
    {
        var rows = PlanRows(Run("SystemUp", "--all", "--skip", "BaseImages", "--plan"));

        Assert.Contains(rows, row => System.Text.RegularExpressions.Regex.IsMatch(row, @"^\d+\s+DockerEngine\s+run"));
        Assert.Contains(rows, row => System.Text.RegularExpressions.Regex.IsMatch(row, @"^\d+\s+BaseImages\s+DockerEngine\s+skip \(--skip\)"));
    }

    /// <summary>A failed image build left the images.json of an earlier run, which passed for this run's.</summary>
    [Fact]
    public void A_failed_image_build_removes_the_list_of_an_earlier_run()
    {
        _repo.Write("artifacts/images.json", "[]");

        // Without DockerEngine the build fails at its first docker call.
        var run = Run("Images", "--all", "--skip", "DockerEngine,BaseImages");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Matches(@"(?m)^Images\s+Failed", run.Output);
        Assert.False(File.Exists(Path.Combine(_repo.Root, "artifacts", "images.json")));
    }

    [Fact]
    public void Unit_tests_run_without_affected_when_compile_is_skipped()
    {
        // orchestrator: no unit test of the sample references it, so none is run.
        var run = Run("UnitTest", "--service", "orchestrator", "--skip", "Compile");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("No affected unit test project.", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^UnitTest\s+Succeeded", run.Output);
        Assert.DoesNotMatch(@"(?m)^Affected\s", run.Output);
    }
}
