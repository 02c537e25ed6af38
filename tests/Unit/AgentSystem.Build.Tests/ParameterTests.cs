namespace AgentSystem.Build.Tests;

public class ParameterTests
{
    [Fact]
    public void The_command_line_wins_over_environment_and_parameters_file()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--configuration", "FromCli"],
            new() { ["CONFIGURATION"] = "FromEnv" }, """{ "Configuration": "FromFile" }""");
        Assert.Equal("FromCli", run.Build.Configuration);
    }

    [Fact]
    public void The_environment_wins_over_the_parameters_file()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore"], new() { ["CONFIGURATION"] = "FromEnv", ["API_KEY"] = "k" },
            """{ "Configuration": "FromFile", "Count": 3 }""");
        Assert.Equal("FromEnv", run.Build.Configuration);
        Assert.Equal("k", run.Build.ApiKey);
        Assert.Equal(3, run.Build.Count);
    }

    [Fact]
    public void The_default_stays_when_nothing_sets_a_parameter()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore"]);
        Assert.Equal("Debug", run.Build.Configuration);
        Assert.Equal(1, run.Build.Count);
        Assert.False(run.Build.FailCompile);
    }

    [Fact]
    public void Defaults_may_differ_on_ci()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore"], build: Engine.BuildBase.CreateAs<SampleBuild>(serverBuild: true));
        Assert.Equal("Release", run.Build.Configuration);
    }

    [Fact]
    public void Values_convert_to_the_parameter_type()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--count", "7", "--names", "a", "b", "--flavor", "extra-spicy", "--fail-compile", "false"]);
        Assert.Equal(7, run.Build.Count);
        Assert.Equal(["a", "b"], run.Build.Names);
        Assert.Equal(Flavor.ExtraSpicy, run.Build.Flavor);
        Assert.False(run.Build.FailCompile);
    }

    [Fact]
    public void Equals_sign_and_comma_lists_work_too()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--names=x,y", "--count=2"]);
        Assert.Equal(["x", "y"], run.Build.Names);
        Assert.Equal(2, run.Build.Count);
    }

    /// <summary>`--scenarios enqueue LoadTest` took LoadTest for a scenario and ran the default target.</summary>
    [Fact]
    public void A_target_after_an_option_is_a_usage_error_that_shows_the_targets_first()
    {
        var run = BuildRun<SampleBuild>.Of(["--names", "ab", "Test"]);

        Assert.Equal(Engine.BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("--names: 'Test' is a target: name targets before options (./build.sh Test --names ab)", run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Build.Ran);
    }

    [Fact]
    public void The_rearranged_command_line_keeps_every_target_and_option_in_its_order()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--fail-compile", "Compile", "--count", "2", "--names", "ab", "lint", "--configuration=Debug", "pack"]);

        Assert.Equal(Engine.BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("--names: 'lint' is a target; --configuration: 'pack' is a target: name targets before options"
            + " (./build.sh Restore Compile lint pack --fail-compile --count 2 --names ab --configuration=Debug)", run.Output, StringComparison.Ordinal);
    }

    /// <summary>--target and --skip name targets; a text option's one value may be anything (`--base dev`: a branch).</summary>
    [Fact]
    public void Values_that_name_targets_on_purpose_are_taken()
    {
        Assert.Equal("test", BuildRun<SampleBuild>.Of(["Restore", "--configuration", "test"]).Build.Configuration);
        Assert.Equal(["Test"], BuildRun<SampleBuild>.Of(["Restore", "--names=Test"]).Build.Names);
        Assert.Equal(["Compile", "Test"], BuildRun<SampleBuild>.Of(["--target", "Test", "--skip", "Restore"]).Build.Ran);
        Assert.Equal(Engine.BuildHost.UsageExitCode, BuildRun<SampleBuild>.Of(["Restore", "--configuration", "Debug", "Test"]).ExitCode);
    }

    [Fact]
    public void Only_list_parameters_split_on_commas()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--api-key=a,b", "--names", "x,y", "z"]);
        Assert.Equal("a,b", run.Build.ApiKey);
        Assert.Equal(["x", "y", "z"], run.Build.Names);
    }

    [Fact]
    public void A_bad_value_names_the_parameter_and_what_it_accepts()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--flavor", "sour"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--flavor: 'sour' is not a valid value (plain|extra-spicy)", run.Output);

        var count = BuildRun<SampleBuild>.Of(["Restore", "--count", "many"]);
        Assert.Contains("--count: 'many' is not a valid value (a whole number)", count.Output);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("00:05:00", 300)]
    [InlineData("1h", 3600)]
    [InlineData("45", 45)]   // seconds, as --duration reads it (TimeSpan.Parse read days)
    public void Durations_read_like_the_load_tests_options(string value, int seconds)
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--wait", value]);
        Assert.Equal(TimeSpan.FromSeconds(seconds), run.Build.Wait);
    }

    [Fact]
    public void A_bad_duration_says_what_a_duration_looks_like()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--wait", "soon"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--wait: 'soon' is not a valid value (a duration: 5m, 90s, 1h; a bare number is seconds)", run.Output);
    }

    [Fact]
    public void A_broken_parameters_file_is_a_clear_error()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore"], parametersJson: "{ nope");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(".nuke/parameters.json is not valid JSON", run.Output);
    }

    [Theory]
    [InlineData("Compil", " Did you mean 'Compile'?")]
    [InlineData("compile", " Did you mean 'Compile'?")]
    [InlineData("Imgaes", " Did you mean 'Images'?")]
    [InlineData("SystemTets", " Did you mean 'SystemTest'?")]
    [InlineData("Deploy", "")]
    [InlineData("Tset", " Did you mean 'Test'?")]
    [InlineData("Dve", " Did you mean 'Dev'?")]
    [InlineData("Xyz", "")]
    public void A_mistyped_name_gets_the_one_closest_suggestion(string given, string suggestion) =>
        Assert.Equal(suggestion, AgentSystem.Contracts.Suggestions.DidYouMean(given, ["Compile", "Images", "SystemTest", "SystemUp", "DeployKind", "DeployMinikube", "Test", "Dev"]));

    [Fact]
    public void Several_mistyped_names_get_a_suggestion_each_that_has_one() =>
        Assert.Equal(" Did you mean 'gateway', 'orchestrator'?", AgentSystem.Contracts.Suggestions.DidYouMean(["gatway", "xyz", "orchestrtor"], ["gateway", "orchestrator", "worker"]));

    [Theory]
    [InlineData("BaseImages", "base-images", "BASE_IMAGES")]
    [InlineData("Configuration", "configuration", "CONFIGURATION")]
    [InlineData("CIRunner", "ci-runner", "CI_RUNNER")]
    public void Names_convert_to_kebab_and_snake_case(string name, string kebab, string snake)
    {
        Assert.Equal(kebab, Engine.Naming.ToKebabCase(name));
        Assert.Equal(snake, Engine.Naming.ToScreamingSnakeCase(name));
    }

    [Fact]
    public void A_parameter_only_targets_outside_the_run_read_is_named_as_changing_nothing()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--channel", "beta"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--channel changes nothing here: only Publish reads it, and Publish is not part of this run.", run.Output, StringComparison.Ordinal);
    }

    /// <summary>A value is checked only where it is read: `Compile --duration abc` said "changes nothing", not that abc is no duration.</summary>
    [Fact]
    public void A_parameter_no_target_of_the_run_reads_names_what_would_refuse_its_value()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--channel", "gamma"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--channel changes nothing here: only Publish reads it, and Publish is not part of this run."
            + " It would be refused there too: --channel: 'gamma' is no channel (stable, beta).", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parameter_whose_only_reader_is_skipped_says_why()
    {
        var run = BuildRun<SampleBuild>.Of(["Docs", "--names", "ab"]);

        Assert.Contains("--names changes nothing here: only Docs reads it, and Docs is skipped (condition: only for big counts).", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--channel")]
    [InlineData(null)]
    public void A_parameter_read_in_this_run_or_set_outside_the_command_line_is_not_named(string? option)
    {
        string[] args = option is null ? ["Restore"] : ["Publish", "--api-key", "k", option, "beta"];

        var run = BuildRun<SampleBuild>.Of(args, new() { ["CHANNEL"] = "from-the-environment" });

        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain("changes nothing", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parameter_no_target_claims_is_never_named()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--count", "3", "--wait", "5s"]);

        Assert.DoesNotContain("changes nothing", run.Output, StringComparison.Ordinal);
    }
}
