using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

public class EngineTests
{
    [Fact]
    public void Runs_dependencies_first_in_declaration_order()
    {
        var run = BuildRun<SampleBuild>.Of(["Test"]);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["Restore", "Compile", "Test"], run.Build.Ran);
    }

    [Theory]
    [InlineData("./build.ps1", "./build.ps1")]
    [InlineData("./build.sh", "./build.sh")]
    [InlineData(null, "./build.sh")]
    [InlineData("rm -rf /", "./build.sh")]
    public void Suggestions_name_the_script_that_started_the_build_and_nothing_else(string? variable, string command) =>
        Assert.Equal(command, BuildScript.For(variable));

    [Fact]
    public void Runs_the_default_target_when_none_is_named()
    {
        var run = BuildRun<SampleBuild>.Of([]);
        Assert.Equal(["Restore", "Compile"], run.Build.Ran);
        Assert.Equal(["Compile"], run.Build.RequestedTargets);
    }

    [Fact]
    public void The_requested_targets_are_those_named_not_those_they_pull_in()
    {
        var run = BuildRun<SampleBuild>.Of(["test", "Clean"]);
        Assert.Equal(["Clean", "Test"], run.Build.RequestedTargets.Order(StringComparer.Ordinal));
        Assert.Contains("Restore", run.Build.Ran);
    }

    [Fact]
    public void Before_and_after_order_targets_only_when_both_run()
    {
        Assert.Equal(["Clean", "Restore", "Compile"], BuildRun<SampleBuild>.Of(["Compile", "Clean"]).Build.Ran);
        Assert.Equal(["Restore", "Compile", "Test", "Pack"], BuildRun<SampleBuild>.Of(["Pack", "Test"]).Build.Ran);
        Assert.Equal(["Restore", "Compile", "Pack"], BuildRun<SampleBuild>.Of(["Pack"]).Build.Ran);
    }

    [Fact]
    public void A_triggered_target_runs_after_its_trigger()
    {
        var run = BuildRun<SampleBuild>.Of(["Publish", "--api-key", "k"]);
        Assert.Equal(["Restore", "Compile", "Pack", "Publish", "Notify"], run.Build.Ran);
    }

    [Fact]
    public void Skip_without_names_runs_only_the_named_targets()
    {
        var run = BuildRun<SampleBuild>.Of(["Test", "--skip"]);
        Assert.Equal(["Test"], run.Build.Ran);
        Assert.Contains("Skipped", run.Output);
    }

    /// <summary>helper-101: <c>--skip BaseImages SystemUp</c> skipped SystemUp too and ran the default target.</summary>
    [Fact]
    public void With_no_target_named_skipping_a_target_the_default_does_not_run_is_a_usage_error()
    {
        var run = BuildRun<SampleBuild>.Of(["--skip", "Clean", "Pack"]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Empty(run.Build.Ran);
        Assert.Contains("--skip: 'Clean', 'Pack' are no part of this run (no target is named, so the default, Compile, runs): "
            + "name the targets to run before the options (./build.sh TARGET --skip Clean Pack), or leave out --skip.", run.Output);
        Assert.Equal(["Compile"], BuildRun<SampleBuild>.Of(["--skip", "Restore"]).Build.Ran);
        Assert.Equal(["Compile", "Pack"], BuildRun<SampleBuild>.Of(["Pack", "--skip", "Restore", "Clean"]).Build.Ran);
    }

    [Fact]
    public void Skip_with_names_skips_those()
    {
        Assert.Equal(["Compile", "Test"], BuildRun<SampleBuild>.Of(["Test", "--skip", "restore"]).Build.Ran);
    }

    /// <summary>`Test --skip IntegrationTest` still ran Chromium, DockerEngine and BaseImages, which only it needs.</summary>
    [Fact]
    public void Skip_with_names_leaves_out_what_only_the_skipped_targets_need()
    {
        Assert.Equal(["Test"], BuildRun<SampleBuild>.Of(["Test", "--skip", "compile"]).Build.Ran);
        Assert.Equal(["Restore", "Test", "Lint"], BuildRun<SampleBuild>.Of(["Test", "Lint", "--skip", "compile"]).Build.Ran);
        // Nor what it triggers.
        Assert.Empty(BuildRun<SampleBuild>.Of(["Publish", "--api-key", "k", "--skip", "publish"]).Build.Ran);
    }

    [Fact]
    public void Plan_shows_a_target_skipped_by_name_without_what_only_it_needs()
    {
        var run = BuildRun<SampleBuild>.Of(["Test", "--skip", "compile", "--plan"]);

        Assert.Equal(0, run.ExitCode);
        var rows = PlanRows(run);
        Assert.Equal(2, rows.Count);
        Assert.Matches(@"^1\s+Compile\s+skip \(--skip\)", rows[0]);
        Assert.Matches(@"^2\s+Test\s+Compile\s+run", rows[1]);
    }

    [Fact]
    public void Skip_without_names_still_shows_every_dependency_as_skipped()
    {
        var rows = PlanRows(BuildRun<SampleBuild>.Of(["Test", "--skip", "--plan"]));

        Assert.Equal(3, rows.Count);
        Assert.Matches(@"^1\s+Restore\s+skip \(--skip\)", rows[0]);
        Assert.Matches(@"^2\s+Compile\s+Restore\s+skip \(--skip\)", rows[1]);
    }

    private static List<string> PlanRows(BuildRun<SampleBuild> run) =>
        run.Output.Split('\n').Where(line => line.Length > 0 && char.IsAsciiDigit(line[0])).ToList();

    [Fact]
    public void A_failed_target_stops_the_build_with_a_non_zero_exit_and_a_summary()
    {
        var run = BuildRun<SampleBuild>.Of(["Test", "--fail-compile"]);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["Restore", "Compile"], run.Build.Ran);
        Assert.Matches(@"Compile\s+Failed", run.Output);
        Assert.Matches(@"Test\s+NotRun\s+\S+\s+Compile failed", run.Output);
        Assert.Contains("compile broke", run.Output);
    }

    [Fact]
    public void A_target_stopped_by_an_unrelated_failure_says_continue_would_run_it()
    {
        var run = BuildRun<SampleBuild>.Of(["Compile", "Lint", "--fail-compile"]);

        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("Lint", run.Build.Ran);
        Assert.Matches(@"Lint\s+NotRun\s+\S+\s+stopped after Compile failed \(--continue runs it\)", run.Output);
    }

    /// <summary>helper-87: Publish (on Pack, on Compile) was said to run with --continue, which runs neither.</summary>
    [Fact]
    public void A_target_below_the_failure_through_one_that_did_not_run_fails_with_it()
    {
        var run = BuildRun<SampleBuild>.Of(["Publish", "--api-key", "k", "--fail-compile"]);

        Assert.Matches(@"Pack\s+NotRun\s+\S+\s+Compile failed", run.Output);
        Assert.Matches(@"Publish\s+NotRun\s+\S+\s+Pack failed\n", run.Output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_target_skipped_whatever_happens_says_so_after_a_failure_too()
    {
        var run = BuildRun<SampleBuild>.Of(["Compile", "Docs", "--fail-compile"]);

        Assert.Matches(@"Docs\s+Skipped\s+\S+\s+condition: only for big counts", run.Output);
    }

    /// <summary>helper-95: a skipped Images left the images.json of an earlier run, which passed for this run's.</summary>
    [Fact]
    public void A_target_skipped_by_a_condition_runs_its_tidying_and_one_run_skipped_by_hand_or_after_the_build_stopped_does_not()
    {
        Assert.Equal(["Docs"], BuildRun<SampleBuild>.Of(["Docs"]).Build.Tidied);
        Assert.Equal(["Slow"], BuildRun<SampleBuild>.Of(["Slow"]).Build.Tidied);
        Assert.Empty(BuildRun<SampleBuild>.Of(["Docs", "--count", "6"]).Build.Tidied);
        Assert.Empty(BuildRun<SampleBuild>.Of(["Slow", "--count", "2"]).Build.Tidied);
        // --skip keeps an earlier run's output on purpose; --plan runs nothing.
        Assert.Empty(BuildRun<SampleBuild>.Of(["Test", "Docs", "--count", "6", "--skip", "docs"]).Build.Tidied);
        Assert.Empty(BuildRun<SampleBuild>.Of(["Docs", "--plan"]).Build.Tidied);
        // helper-101: skipped by its condition and by hand, it tidied all the same.
        Assert.Empty(BuildRun<SampleBuild>.Of(["Test", "Docs", "--skip", "docs"]).Build.Tidied);
        Assert.Equal(["Docs"], BuildRun<SampleBuild>.Of(["Test", "Docs", "--skip", "test"]).Build.Tidied);
        // helper-122: a failed deploy preflight stopped the build, and the skipped Images still removed images.json.
        Assert.Empty(BuildRun<SampleBuild>.Of(["Compile", "Docs", "--fail-compile"]).Build.Tidied);
        Assert.Equal(["Docs"], BuildRun<SampleBuild>.Of(["Compile", "Docs", "--fail-compile", "--continue"]).Build.Tidied);
    }

    [Fact]
    public void Tidying_that_fails_is_a_warning_and_the_target_stays_skipped()
    {
        var build = new SampleBuild { DocsTidy = () => throw new IOException("the file is busy") };
        var run = BuildRun<SampleBuild>.Of(["Compile", "Docs"], build: build);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Docs is skipped, and what an earlier run of it left could not be removed: the file is busy", run.Output);
        Assert.Matches(@"Docs\s+Skipped\s+\S+\s+condition: only for big counts", run.Output);
    }

    [Fact]
    public void A_usage_error_found_inside_a_target_exits_with_the_usage_code()
    {
        var build = new SampleBuild { CompileBody = _ => throw new UsageException("--push needs --registry") };
        var run = BuildRun<SampleBuild>.Of(["Test"], build: build);
        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Matches(@"Compile\s+Failed", run.Output);
        Assert.Contains("--push needs --registry", run.Output);
    }

    /// <summary>helper-116: a --root without .nuke ran on, wrote .nuke/ there, then crashed in git with a stack trace.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_root_that_holds_no_nuke_folder_is_a_usage_error_and_nothing_is_written_there(bool exists)
    {
        var folder = Path.Combine(Directory.CreateTempSubdirectory("no-root-").FullName, "repo");
        if (exists)
        {
            Directory.CreateDirectory(folder);
        }

        var run = BuildRun<SampleBuild>.Of(["Test", "--plan", "--root", folder]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains($"--root {folder}: {(exists ? "no .nuke folder there" : "no such folder")}.", run.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, ".nuke")));
        Assert.Empty(run.Build.Ran);
    }

    /// <summary>The new-user walk: kind's multi-line error filled the summary's note, a separator 1,857 characters wide.</summary>
    [Fact]
    public void The_summary_notes_a_long_failure_by_its_first_line_and_fits_the_width()
    {
        var error = "kind create cluster failed (exit code 1):\nERROR: failed to create cluster: failed to pull image \"kindest/node:v1.32.2\": "
            + string.Concat(Enumerable.Repeat("command \"docker pull kindest/node\" failed with error: exit status 1 ", 20));
        var build = new SampleBuild { CompileBody = _ => throw new ToolFailedException(error, 1) };
        var run = BuildRun<SampleBuild>.Of(["Compile"], new() { ["COLUMNS"] = "100" }, build: build);

        var summary = run.Output.Split('\n').Select(l => l.TrimEnd('\r')).SkipWhile(l => !l.StartsWith("Target ", StringComparison.Ordinal)).ToList();
        Assert.All(summary, line => Assert.True(line.Length <= 100, $"{line.Length} > 100: {line}"));
        Assert.Matches(@"Compile\s+Failed\s+\S+\s+kind create cluster failed \(exit code 1\): \(more", string.Join('\n', summary));
        Assert.Contains("kindest/node:v1.32.2", run.Output);   // the whole error, above the summary
    }

    [Fact]
    public void Continue_runs_targets_that_do_not_depend_on_the_failure()
    {
        var run = BuildRun<SampleBuild>.Of(["Test", "Lint", "--fail-compile", "--continue"]);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["Restore", "Compile", "Lint"], run.Build.Ran);
        Assert.Matches(@"Test\s+NotRun\s+\S+\s+Compile failed", run.Output);
    }

    [Fact]
    public void Unknown_target_is_an_error_listing_the_valid_ones()
    {
        var run = BuildRun<SampleBuild>.Of(["Compiel"]);
        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Unknown target 'Compiel'. Did you mean 'Compile'? Valid targets:", run.Output);
        Assert.Contains("Clean, Restore, Compile, Test", run.Output);
        Assert.Empty(run.Build.Ran);
    }

    [Theory]
    [InlineData("--target", "--target needs a value (a target's name).")]
    [InlineData("--root", "--root needs a value (the repository's top folder).")]
    public void Target_and_root_without_a_value_are_usage_errors(string option, string message)
    {
        var run = BuildRun<SampleBuild>.Of([option]);
        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Build.Ran);   // it ran the default target (helper-116)
    }

    [Fact]
    public void Help_beside_a_misspelt_target_says_so()
    {
        var run = BuildRun<SampleBuild>.Of(["--help", "Compiel"]);
        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Unknown target 'Compiel'. Did you mean 'Compile'?", run.Output, StringComparison.Ordinal);
    }

    /// <summary>helper-126: `./build.sh help` was an unknown target with the list of targets, and no word of --help.</summary>
    [Fact]
    public void Help_as_a_target_points_to_the_option()
    {
        var run = BuildRun<SampleBuild>.Of(["help"]);
        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Unknown target 'help': the targets, parameters and examples are printed by --help.", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_option_with_one_dash_is_told_it_needs_two()
    {
        var run = BuildRun<SampleBuild>.Of(["Test", "-plan"]);
        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Unknown target '-plan': an option starts with two dashes (--plan).", run.Output);
        Assert.Empty(run.Build.Ran);
    }

    [Fact]
    public void Unknown_parameter_is_an_error_listing_the_valid_ones()
    {
        var run = BuildRun<SampleBuild>.Of(["Compile", "--configuraton", "Release"]);
        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Unknown parameter '--configuraton'. Did you mean '--configuration'? Valid parameters:", run.Output);
        Assert.Contains("--configuration", run.Output);
        Assert.Contains("--fail-compile", run.Output);
    }

    [Fact]
    public void A_required_parameter_without_value_fails_before_anything_runs()
    {
        var run = BuildRun<SampleBuild>.Of(["Publish"]);
        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Target 'Publish' requires --api-key", run.Output);
        Assert.Empty(run.Build.Ran);
    }

    [Fact]
    public void A_target_that_will_run_has_its_parameters_validated_before_anything_runs()
    {
        var run = BuildRun<SampleBuild>.Of(["Docs", "--count", "9", "--names", "alpha", "b", "gamma"]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Docs: --names: 'alpha' is longer than 3 letters", run.Output, StringComparison.Ordinal);
        Assert.Contains("Docs: --names: 'gamma' is longer than 3 letters", run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Build.Ran);
    }

    [Fact]
    public void A_target_named_on_the_command_line_has_its_parameters_validated_even_when_the_plan_skips_it()
    {
        var run = BuildRun<SampleBuild>.Of(["Docs", "--count", "1", "--names", "alpha"]);

        Assert.Equal(BuildHost.UsageExitCode, run.ExitCode);
        Assert.Contains("Docs: --names: 'alpha' is longer than 3 letters", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_outside_the_plan_has_its_parameters_left_alone()
    {
        var run = BuildRun<SampleBuild>.Of(["Lint", "--names", "alpha"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["Restore", "Lint"], run.Build.Ran);
    }

    [Fact]
    public void Plan_prints_order_and_services_and_runs_nothing()
    {
        var run = BuildRun<SampleBuild>.Of(["Test", "--plan"]);
        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Build.Ran);
        var lines = run.Output.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("1 ", StringComparison.Ordinal) && l.Contains("Restore", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("2 ", StringComparison.Ordinal) && l.Contains("Compile", StringComparison.Ordinal) && l.Contains("gateway, worker", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("3 ", StringComparison.Ordinal) && l.Contains("Test", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_names_only_dependencies_that_are_rows_of_it()
    {
        var run = BuildRun<SampleBuild>.Of(["Docs", "--plan"]);

        Assert.Equal(0, run.ExitCode);
        var docs = Assert.Single(run.Output.Split('\n'), l => l.StartsWith("1 ", StringComparison.Ordinal));
        Assert.Contains("skip (condition: only for big counts)", docs, StringComparison.Ordinal);
        Assert.DoesNotContain("Restore", run.Output, StringComparison.Ordinal);
        Assert.Contains("Restore", BuildRun<SampleBuild>.Of(["Docs", "--count", "6", "--plan"]).Output.Split('\n').Single(l => l.StartsWith("2 ", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_says_why_a_target_runs_when_it_declares_why()
    {
        string Docs(params string[] args) => BuildRun<SampleBuild>.Of(["Docs", "--plan", .. args]).Output.Split('\n').Single(l => l.StartsWith("2 ", StringComparison.Ordinal));

        Assert.Contains("run (a very big count)", Docs("--count", "10"), StringComparison.Ordinal);
        Assert.DoesNotContain("run (", Docs("--count", "6"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_static_condition_skips_the_target_and_the_dependencies_only_it_needs()
    {
        var run = BuildRun<SampleBuild>.Of(["Docs"]);
        Assert.Empty(run.Build.Ran);
        Assert.Contains("only for big counts", run.Output);
        Assert.Equal(["Restore", "Docs"], BuildRun<SampleBuild>.Of(["Docs", "--count", "6"]).Build.Ran);
    }

    [Fact]
    public void A_dynamic_condition_is_checked_when_the_target_is_reached()
    {
        Assert.Empty(BuildRun<SampleBuild>.Of(["Slow"]).Build.Ran);
        Assert.Equal(["Slow"], BuildRun<SampleBuild>.Of(["Slow", "--count", "2"]).Build.Ran);
    }

    [Fact]
    public void A_cycle_is_reported_by_name()
    {
        var exception = Assert.Throws<BuildConfigurationException>(() => BuildRun<CyclicBuild>.Of(["A"]));
        Assert.Contains("A, B", exception.Message);
    }

    [Fact]
    public void Targets_may_follow_a_switch()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore", "--fail-compile", "Compile"]);
        Assert.True(run.Build.FailCompile);
        Assert.Equal(["Restore", "Compile"], run.Build.Ran);
    }

    [Fact]
    public void Closing_lines_come_after_the_summary()
    {
        var run = BuildRun<SampleBuild>.Of(["Publish", "--api-key", "k"]);
        var lines = run.Output.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("3 passed, 0 failed", lines[^1]);
        Assert.Contains("Build succeeded.", lines[^2]);
    }

    [Fact]
    public void Cancelling_aborts_the_running_target_and_exits_130()
    {
        using var cancellation = new CancellationTokenSource();
        var build = new SampleBuild
        {
            CompileBody = async ct =>
            {
                await cancellation.CancelAsync();
                await Task.Delay(Timeout.Infinite, ct);
            },
        };
        var run = BuildRun<SampleBuild>.Of(["Test"], cancellationToken: cancellation.Token, build: build);
        Assert.Equal(BuildHost.CancelledExitCode, run.ExitCode);
        Assert.Matches(@"Compile\s+Aborted", run.Output);
        Assert.Matches(@"Test\s+NotRun", run.Output);
        Assert.Contains("interrupted: Compile", run.Output);
    }

    [Fact]
    public void A_target_that_returns_after_an_interrupt_counts_as_interrupted()
    {
        using var cancellation = new CancellationTokenSource();
        var build = new SampleBuild { CompileBody = _ => cancellation.CancelAsync() };
        var run = BuildRun<SampleBuild>.Of(["Compile"], cancellationToken: cancellation.Token, build: build);
        Assert.Equal(BuildHost.CancelledExitCode, run.ExitCode);
        Assert.Matches(@"Compile\s+Aborted", run.Output);
    }

    /// <summary>Dev's documented stop: Ctrl+C or SIGTERM ends a target that runs until stopped, and the build with 0.</summary>
    [Fact]
    public void A_target_stopped_as_asked_ends_the_build_with_0()
    {
        using var cancellation = new CancellationTokenSource();
        var run = BuildRun<SampleBuild>.Of(["Compile"], cancellationToken: cancellation.Token, build: StoppedOnInterrupt(cancellation));
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"Compile\s+Stopped\s+\S+\s+stopped: 3 services", run.Output);
        Assert.Contains("Build stopped as asked: Compile ran until stopped.", run.Output);
        Assert.DoesNotContain("cancelled", run.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_stop_that_leaves_a_planned_target_undone_is_a_cancellation()
    {
        using var cancellation = new CancellationTokenSource();
        var run = BuildRun<SampleBuild>.Of(["Test"], cancellationToken: cancellation.Token, build: StoppedOnInterrupt(cancellation));
        Assert.Equal(BuildHost.CancelledExitCode, run.ExitCode);
        Assert.Matches(@"Compile\s+Stopped", run.Output);
        Assert.Matches(@"Test\s+NotRun\s+\S+\s+cancelled", run.Output);
    }

    [Fact]
    public void A_stop_that_went_wrong_fails_the_build()
    {
        using var cancellation = new CancellationTokenSource();
        var run = BuildRun<SampleBuild>.Of(["Compile"], cancellationToken: cancellation.Token,
            build: StoppedOnInterrupt(cancellation, "worker did not stop within 30 s of SIGTERM and had to be killed."));
        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"Compile\s+Failed", run.Output);
        Assert.Contains("worker did not stop within 30 s", run.Output);
        Assert.Contains("Build failed: Compile.", run.Output);
    }

    /// <summary>Compile as Dev runs: until interrupted (here at once), then it stops and says how.</summary>
    private static SampleBuild StoppedOnInterrupt(CancellationTokenSource cancellation, string? failure = null) => new()
    {
        CompileBody = async ct =>
        {
            await cancellation.CancelAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                throw new TargetStoppedException(failure is null ? "stopped: 3 services" : "killed: worker", failure);
            }
        },
    };

    /// <summary>
    /// The real build's --help, piped: ~280 columns wide before; now each description wraps under its column. At 80
    /// columns the environment variables' column made it 86 wide: their names are now a rule below the table.
    /// </summary>
    [Theory]
    [InlineData(TextTable.DefaultWidth)]
    [InlineData(80)]
    [InlineData(72)]   // the narrowest the README promises: the usage line used to stay 78 wide
    public void Help_fits_the_width_with_each_description_under_its_column(int width)
    {
        var writer = new StringWriter();
        Log.Out = writer;
        HelpText.Print<Build>(TargetGraph.From(new Build()), ParameterSet.Of(typeof(Build)), ["Compile"], width);
        var lines = writer.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} columns: {line}"));
        var header = lines.FindIndex(l => l.StartsWith("Parameter ", StringComparison.Ordinal));
        var (from, to) = (lines[header].IndexOf("Description", StringComparison.Ordinal), lines[header].IndexOf("Default", StringComparison.Ordinal));
        var row = lines.FindIndex(l => l.StartsWith("--system-api-key", StringComparison.Ordinal));
        var rowLines = lines.Skip(row).TakeWhile((l, i) => i == 0 || (l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal)));
        var description = string.Join(' ', rowLines.Select(l => l.PadRight(to)[from..to].Trim()).Where(c => c.Length > 0));
        Assert.Equal(ParameterSet.Of(typeof(Build)).Find("system-api-key")!.Description, description);
        // A value's placeholder is short and never broken across lines.
        Assert.All(lines.Skip(header).Select(l => l.PadRight(from)[..from]), cell => Assert.Equal(cell.Count(c => c == '<'), cell.Count(c => c == '>')));
        Assert.Contains(lines, l => l.StartsWith("--duration <duration> ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--service <name>... ", StringComparison.Ordinal));
    }

    /// <summary>helper-113: --help listed the targets in the order of the build's source files; now as the README's table does.</summary>
    [Fact]
    public void Help_lists_every_target_in_the_order_of_the_readmes_targets_table()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "README.md"));
        var table = readme[readme.IndexOf("## Targets\n", StringComparison.Ordinal)..].Split('\n')
            .SkipWhile(l => !l.StartsWith("| target ", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();
        var documented = table.SelectMany(row => System.Text.RegularExpressions.Regex.Matches(row.Split('|')[1], "`([A-Za-z]+)`").Select(m => m.Groups[1].Value)).ToList();
        var writer = new StringWriter();
        Log.Out = writer;
        HelpText.Print<Build>(TargetGraph.From(new Build()), ParameterSet.Of(typeof(Build)), ["Compile"], 300);
        // A row's first line starts with its name; a wrapped description's lines start with spaces.
        var listed = writer.ToString().Split('\n').SkipWhile(l => !l.StartsWith("Target ", StringComparison.Ordinal)).Skip(2)
            .TakeWhile(l => l.Trim().Length > 0).Where(l => !l.StartsWith(' ')).Select(l => l.Split(' ')[0]).ToList();

        Assert.Equal(documented, listed);
        // Every target once in the order (a name twice would break --help), so none is listed after the ordered ones.
        var order = BuildBase.CreateAs<Build>(serverBuild: false).HelpOrder;
        Assert.Equal(TargetGraph.From(new Build()).Targets.Select(t => t.Name).Order(StringComparer.Ordinal), order.Order(StringComparer.Ordinal));
    }

    /// <summary>helper-116: --dry-run and --keep-build-cache were in --help and not in the README's table.</summary>
    [Fact]
    public void The_readmes_parameters_table_names_every_parameter_of_the_build()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "README.md"));
        var table = readme[readme.IndexOf("## Parameters\n", StringComparison.Ordinal)..].Split('\n')
            .SkipWhile(l => !l.StartsWith("| parameter ", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();
        var documented = table.SelectMany(row => System.Text.RegularExpressions.Regex.Matches(row.Split('|')[1], "`--([a-z-]+)").Select(m => m.Groups[1].Value)).ToHashSet();

        var undocumented = ParameterSet.Of(typeof(Build)).Parameters.Select(p => p.CliName).Except(documented).ToList();
        Assert.True(undocumented.Count == 0, $"Not in the README's Parameters table: {string.Join(", ", undocumented)}");
    }

    [Fact]
    public void Help_lists_targets_and_parameters_with_local_and_ci_defaults()
    {
        // Wide enough for one line per row, as COLUMNS=300 ./build.sh --help | grep gets.
        var run = BuildRun<SampleBuild>.Of(["--help"], new() { ["COLUMNS"] = "300" });
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Compile (default)", run.Output);
        Assert.Contains("Cleans", run.Output);
        Assert.Matches(@"--configuration <text>\s+Configuration to build\s+Debug \(CI: Release\)", run.Output);
        Assert.Matches(@"environment variables \(the name in capitals with underscores: --[a-z-]+ is [A-Z_]+\)", run.Output);
        Assert.Contains("Exit codes: 0 success, 1 a target failed, 2 a usage error, 130 interrupted (Ctrl+C or SIGTERM).", run.Output);
        Assert.Contains("--flavor <plain|extra-spicy>", run.Output);
        Assert.Matches(@"Example\s+What it does\r?\n.*\r?\n\./build\.sh Compile --flavor extra-spicy\s+Compiles it hot", run.Output);
        Assert.Empty(run.Build.Ran);
    }

    /// <summary>--help's examples are the build's own command lines: each names targets and options the build has.</summary>
    [Fact]
    public void Every_help_example_names_known_targets_and_options()
    {
        var build = new Build();
        var (graph, parameters) = (TargetGraph.From(build), ParameterSet.Of(typeof(Build)));

        Assert.NotEmpty(build.HelpExamples);
        Assert.All(build.HelpExamples, example =>
        {
            var words = example.CommandLine.Split(' ')[1..];
            Assert.All(words.Where(w => w.StartsWith("--", StringComparison.Ordinal)), option =>
                Assert.True(parameters.Find(option[2..]) is not null || option == "--plan", $"{example.CommandLine}: no option {option}"));
            Assert.All(words.Where(w => char.IsUpper(w[0])), target =>
                Assert.True(graph.Find(target) is { } node && node.Name == target, $"{example.CommandLine}: no target {target}"));
        });
    }

    [Fact]
    public void The_schema_lists_the_parameters_with_their_values()
    {
        var run = BuildRun<SampleBuild>.Of(["Restore"]);
        var schema = File.ReadAllText(Path.Combine(run.Root, BuildPaths.SchemaFileName));
        Assert.Contains("\"Configuration\"", schema);
        Assert.Contains("\"ExtraSpicy\"", schema);
        Assert.DoesNotContain("\"Publish\"", schema);
    }
}
