namespace AgentSystem.Build.Tests;

public sealed class ChromiumTargetTests
{
    /// <summary>helper-126: a mistyped CHROMIUM_PATH ran apt-get as root, then blamed apt for the path.</summary>
    [Fact]
    public void A_chromium_path_that_names_no_file_fails_at_once_without_installing_anything()
    {
        var run = BuildRun<Build>.Of(["Chromium"], new() { ["CHROMIUM_PATH"] = "/nope/chromium" });

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("CHROMIUM_PATH is /nope/chromium, and there is no file there.", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("installing", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chromium_path_that_names_a_file_is_used()
    {
        var browser = Path.GetTempFileName();
        try
        {
            var run = BuildRun<Build>.Of(["Chromium"], new() { ["CHROMIUM_PATH"] = browser });

            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains($"Chromium: {browser}", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(browser);
        }
    }
}
