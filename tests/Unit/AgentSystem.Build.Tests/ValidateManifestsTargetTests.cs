using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>The ValidateManifests target as a user runs it: its output, its exit code, and its place in Test.</summary>
public sealed class ValidateManifestsTargetTests : IDisposable
{
    private readonly ManifestCopy _copy = new();

    public ValidateManifestsTargetTests()
    {
        // A build root has .nuke/; the target reads the catalog with the files git lists, as every target does.
        Directory.CreateDirectory(Path.Combine(_copy.Root, ".nuke"));
        ProcessRunner.Capture("git", ["init", "-q"], _copy.Root);
    }

    public void Dispose() => _copy.Dispose();

    private (int ExitCode, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        Log.Out = writer;
        var exitCode = BuildHost.Run(BuildBase.CreateAs<Build>(serverBuild: false), args, new Dictionary<string, string>(), _copy.Root, ["Compile"], CancellationToken.None);
        return (exitCode, writer.ToString());
    }

    [Fact]
    public void It_prints_a_summary_table_and_succeeds_on_the_repository_manifests()
    {
        var (exitCode, output) = Run("ValidateManifests");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Check           kind  minikube", output, StringComparison.Ordinal);
        Assert.Contains("network-policy  ok    ok", output, StringComparison.Ordinal);
        Assert.Contains("2 overlay(s), ", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_copy.Root, "artifacts", "kustomize", "kind", "rendered.yaml")));
    }

    /// <summary>helper-126: without kubectl the plan said "run", and the run failed.</summary>
    [Fact]
    public void The_plan_foresees_a_missing_kubectl()
    {
        var build = BuildBase.CreateAs<Build>(serverBuild: false);
        build.SearchPath = _copy.Root;   // no kubectl there
        var writer = new StringWriter();
        Log.Out = writer;

        var exitCode = BuildHost.Run(build, ["ValidateManifests", "--plan"], new Dictionary<string, string> { ["COLUMNS"] = "250" }, _copy.Root, ["Compile"], CancellationToken.None);

        Assert.True(exitCode == 0, writer.ToString());
        Assert.Contains("run (will fail: kubectl not on PATH)", writer.ToString(), StringComparison.Ordinal);
    }

    /// <summary>helper-125: an overlay's Secret read from a file of mode 0600 was rendered into a file any user could read.</summary>
    [Fact]
    public void The_rendered_overlays_hold_secrets_and_only_their_user_may_read_them()
    {
        var rendered = Path.Combine(_copy.Root, "artifacts", "kustomize", "kind", "rendered.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(rendered)!);
        File.WriteAllText(rendered, "an earlier run's, readable by all");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(rendered, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var (exitCode, output) = Run("ValidateManifests");

        Assert.True(exitCode == 0, output);
        Assert.Contains("kind: Secret", File.ReadAllText(rendered), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(rendered));
        }
    }

    [Fact]
    public void It_fails_with_one_line_per_problem_naming_overlay_file_object_and_field()
    {
        _copy.Edit("k8s/base/chat/service.yaml", "targetPort: http", "targetPort: web");

        var (exitCode, output) = Run("ValidateManifests");

        Assert.True(exitCode == 1, output);
        Assert.Contains("kind: k8s/base/chat/service.yaml: Service/chat: spec.ports[0].targetPort: Deployment/chat has no container port 'web'", output, StringComparison.Ordinal);
        Assert.Contains("minikube: k8s/base/chat/service.yaml: Service/chat: spec.ports[0].targetPort:", output, StringComparison.Ordinal);
        Assert.Contains("ports           1 failed  1 failed", output, StringComparison.Ordinal);
        Assert.Contains("2 manifest problem(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Test_runs_it()
    {
        var (exitCode, output) = Run("Test", "--plan", "--all");

        Assert.True(exitCode == 0, output);
        Assert.Contains("ValidateManifests", output, StringComparison.Ordinal);
    }
}
