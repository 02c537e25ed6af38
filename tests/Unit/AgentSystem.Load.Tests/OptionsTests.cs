namespace AgentSystem.Load.Tests;

/// <summary>The command line: --baseline and --baseline-tolerance.</summary>
public sealed class OptionsTests
{
    [Theory]
    [InlineData("25%", 0.25)]
    [InlineData("25", 0.25)]
    [InlineData("2.5%", 0.025)]
    [InlineData("0%", 0)]
    public void The_baseline_tolerance_is_a_percentage(string text, double fraction)
    {
        var (options, error) = LoadOptions.Parse(["--baseline-tolerance", text]);

        Assert.Null(error);
        Assert.Equal(fraction, options!.BaselineTolerance, 9);
    }

    [Theory]
    [InlineData("-5%")]
    [InlineData("ten")]
    [InlineData("%")]
    public void A_tolerance_that_is_no_percentage_is_a_usage_error_naming_the_option(string text)
    {
        var (options, error) = LoadOptions.Parse(["--baseline-tolerance", text]);

        Assert.Null(options);
        Assert.Contains("--baseline-tolerance", error, StringComparison.Ordinal);
        Assert.Contains(text, error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_tolerance_is_stated_in_the_usage()
    {
        var (options, _) = LoadOptions.Parse([]);

        Assert.Equal(0.1, options!.BaselineTolerance);
        Assert.Contains("[--baseline-tolerance 10%]", LoadOptions.Usage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"name\": \"not a summary\"}")]
    [InlineData("{\"scenarios\": [{\"rps\": 3}], \"reference\": {\"redisBenchmark\": [], \"wrk\": []}}")]
    [InlineData("scenario,rps\nenqueue,100")]
    public void A_baseline_that_is_no_summary_is_a_usage_error_before_anything_runs(string content)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, content);

            var (options, error) = LoadOptions.Parse(["--baseline", path]);

            Assert.Null(options);
            Assert.Contains($"--baseline {path}: {path} is not a load summary", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_baseline_is_a_usage_error()
    {
        var (options, error) = LoadOptions.Parse(["--baseline", "/nonexistent/summary.json"]);

        Assert.Null(options);
        Assert.Equal("--baseline /nonexistent/summary.json: no such file", error);
    }
}
