namespace AgentSystem.Load.Tests;

/// <summary>The command line: --baseline, --baseline-tolerance, --rate, --scenarios and --help.</summary>
public sealed class OptionsTests
{
    [Theory]
    [InlineData("25%", 0.25)]
    [InlineData("25", 0.25)]
    [InlineData("2.5%", 0.025)]
    [InlineData("0%", 0)]
    public void The_baseline_tolerance_is_a_percentage(string text, double fraction)
    {
        var baseline = Path.GetTempFileName();
        try
        {
            File.WriteAllText(baseline, "{\"scenarios\": [{\"name\": \"enqueue\", \"rps\": 1}], \"reference\": {\"redisBenchmark\": [], \"wrk\": []}}");

            var (options, error) = LoadOptions.Parse(["--baseline", baseline, "--baseline-tolerance", text]);

            Assert.Null(error);
            Assert.Equal(fraction, options!.BaselineTolerance, 9);
        }
        finally
        {
            File.Delete(baseline);
        }
    }

    [Theory]
    [InlineData("5s", 5)]
    [InlineData("500ms", 0.5)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("7", 7)]
    [InlineData("00:00:05", 5)]
    public void A_duration_takes_a_unit_or_a_time_span(string text, double seconds)
    {
        var (options, error) = LoadOptions.Parse(["--duration", text]);

        Assert.Null(error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), options!.Duration);
    }

    [Fact]
    public void A_measured_phase_of_no_time_is_a_usage_error_a_warm_up_of_none_is_not()
    {
        var (_, error) = LoadOptions.Parse(["--duration", "0s"]);
        var (options, noWarmUp) = LoadOptions.Parse(["--warm-up", "0s"]);

        Assert.Equal("--duration: '0s' measures nothing: give more than 0 (5s, 500ms, 2m)", error);
        Assert.Equal((null, TimeSpan.Zero), (noWarmUp, options!.WarmUp));
    }

    [Theory]
    [InlineData("-1s")]
    [InlineData("-5")]
    [InlineData("-00:01:00")]
    public void A_negative_duration_is_a_usage_error_that_says_so(string text)
    {
        var (options, error) = LoadOptions.Parse(["--warm-up", text]);

        Assert.Null(options);
        Assert.Equal($"--warm-up: '{text}' is a negative duration: give 0 or more (5s, 500ms, 2m, 1h; a bare number is seconds)", error);
    }

    [Theory]
    [InlineData("--duration", "-5s", "more than 0")]   // helper-81: "give 0 or more", then 0 was refused
    [InlineData("--warm-up", "-5s", "0 or more")]
    public void A_negative_duration_says_what_the_option_takes(string option, string text, string least)
    {
        var (_, error) = LoadOptions.Parse([option, text]);

        Assert.Equal($"{option}: '{text}' is a negative duration: give {least} (5s, 500ms, 2m, 1h; a bare number is seconds)", error);
    }

    [Theory]
    [InlineData("1:30")]
    [InlineData("0:05")]
    public void A_duration_of_one_colon_is_refused_not_read_as_hours(string text)
    {
        // helper-81: .NET read "1:30" as 1 h 30 min.
        var (options, error) = LoadOptions.Parse(["--duration", text]);
        var (hours, none) = LoadOptions.Parse(["--duration", "01:30:00"]);

        Assert.Null(options);
        Assert.Equal($"--duration: '{text}' could be minutes or hours: give 90s, 1.5h or hh:mm:ss (5s, 500ms, 2m, 1h; a bare number is seconds)", error);
        Assert.Equal((null, TimeSpan.FromMinutes(90)), (none, hours!.Duration));
    }

    [Theory]
    [InlineData("3x")]
    [InlineData("1e12m")]
    [InlineData("1e300")]
    public void A_duration_that_is_none_or_too_long_is_a_usage_error(string text)
    {
        var (options, error) = LoadOptions.Parse(["--warm-up", text]);

        Assert.Null(options);
        Assert.Equal($"--warm-up: '{text}' is not a duration (5s, 500ms, 2m, 1h; a bare number is seconds)", error);
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
        Assert.Contains("[--baseline-tolerance 10%]", string.Join('\n', LoadOptions.Help(200)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(100)]
    public void The_help_fits_the_terminal_and_names_every_option(int width)
    {
        var lines = LoadOptions.Help(width).ToList();

        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}"));
        var text = string.Join(' ', lines);
        Assert.All(["--duration", "--warm-up", "--rate", "--baseline", "--baseline-tolerance", "--scenarios", "--workers", "--clients",
            "--connections", "--postgres", "--redis", "--reference-image", "--docker", "--output"],
            option => Assert.Contains($"{option} ", text, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"name\": \"not a summary\"}", ": it has no \"scenarios\" with names or no \"reference\"")]
    [InlineData("{\"scenarios\": [{\"rps\": 3}], \"reference\": {\"redisBenchmark\": [], \"wrk\": []}}", ": it has no \"scenarios\" with names")]
    [InlineData("{\"scenarios\": [{\"name\": \"enqueue\", \"rps\": \"fast\"}], \"reference\": {\"redisBenchmark\": [], \"wrk\": []}}", ": The JSON value could not be converted")]
    [InlineData("scenario,rps\nenqueue,100", ": it is not JSON (line 1: 's' is an invalid start of a value)")]
    public void A_baseline_that_is_no_summary_is_a_usage_error_before_anything_runs(string content, string why)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, content);

            var (options, error) = LoadOptions.Parse(["--baseline", path]);

            Assert.Null(options);
            Assert.Contains($"--baseline {path}: {path} is not a load summary (an artifacts/load/summary.json){why}", error, StringComparison.Ordinal);
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

    [Theory]
    [InlineData("queue-e2e=2000")]
    [InlineData("queue-e2e-at-rate=2000")]
    public void A_rate_names_a_scenario_or_its_open_phase(string rate)
    {
        var (options, error) = LoadOptions.Parse(["--rate", rate]);

        Assert.Null(error);
        Assert.Equal(2000, options!.RateFor("queue-e2e"));
        Assert.Null(options.RateFor("http"));
    }

    [Theory]
    [InlineData("--rate", "queue=2000", "queue")]
    [InlineData("--scenarios", "enqueue,e2e", "e2e")]
    public void An_unknown_scenario_is_a_usage_error_naming_the_known_ones(string option, string value, string unknown)
    {
        var (options, error) = LoadOptions.Parse([option, value]);

        Assert.Null(options);
        Assert.Equal($"{option}: no scenario '{unknown}'. There are enqueue, claim-ack, queue-e2e, http (a scenario runs its open phase, NAME-at-rate, itself).", error);
    }

    [Fact]
    public void Every_unknown_scenario_is_named_each_with_its_hint_not_only_the_first()
    {
        // helper-81: "enqueue,bogus,alsobad" named only 'bogus'; helper-82: a joined message lost each name's own hint.
        var (options, error) = LoadOptions.Parse(["--scenarios", "enqueue,bogus,queue-e2e-at-rate,enqeue"]);

        Assert.Null(options);
        Assert.Equal(
            "--scenarios: no scenario 'bogus'. There are enqueue, claim-ack, queue-e2e, http (a scenario runs its open phase, NAME-at-rate, itself). "
            + "--scenarios: 'queue-e2e-at-rate' is the open phase of queue-e2e: name queue-e2e, which runs it. "
            + "--scenarios: no scenario 'enqeue'. Did you mean 'enqueue'? There are enqueue, claim-ack, queue-e2e, http (a scenario runs its open phase, NAME-at-rate, itself).",
            error);
    }

    [Theory]
    [InlineData("queue-e2e-at-rate", "name queue-e2e, which runs it.")]
    [InlineData("enqueue-at-rate", "name enqueue, which runs it when given a --rate.")]
    public void An_open_phase_given_as_a_scenario_points_at_its_scenario(string phase, string advice)
    {
        // helper-81: refused with "There are ... (each with an open phase, NAME-at-rate)", as if that were the way to name it.
        var (options, error) = LoadOptions.Parse(["--scenarios", phase]);

        Assert.Null(options);
        Assert.Equal($"--scenarios: '{phase}' is the open phase of {phase[..^"-at-rate".Length]}: {advice}", error);
    }

    [Theory]
    [InlineData("queue-e2e:2000")]
    [InlineData("queue-e2e=2000=3")]
    [InlineData("queue-e2e=")]
    [InlineData("fast")]
    [InlineData("Infinity")]
    public void A_rate_of_no_known_form_is_a_usage_error_showing_the_forms(string rate)
    {
        var (options, error) = LoadOptions.Parse(["--rate", rate]);

        Assert.Null(options);
        Assert.Equal($"--rate: '{rate}' is not RATE or SCENARIO=RATE, a rate being a positive number per second (2000, queue-e2e=2000)", error);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("queue-e2e=0")]
    public void A_rate_of_zero_or_less_is_a_usage_error_saying_it_must_be_above_zero(string rate)
    {
        var (options, error) = LoadOptions.Parse(["--rate", rate]);

        Assert.Null(options);
        Assert.Equal($"--rate: '{rate}' is no rate: a rate is a number per second above zero (2000, queue-e2e=2000)", error);
    }

    [Theory]
    [InlineData("1e9")]
    [InlineData("queue-e2e=1000001")]
    public void A_rate_beyond_any_machine_here_is_a_usage_error_naming_the_limit(string rate)
    {
        var (options, error) = LoadOptions.Parse(["--rate", rate]);

        Assert.Null(options);
        Assert.StartsWith($"--rate: '{rate}' is above 1,000,000/s", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rate_and_a_duration_that_together_make_more_jobs_than_a_phase_holds_are_a_usage_error()
    {
        var (options, error) = LoadOptions.Parse(["--rate", "queue-e2e=1000000", "--duration", "40m"]);

        Assert.Null(options);
        Assert.StartsWith("--rate 1000000/s over --warm-up and --duration (2402 s) makes 2,402,000,000 jobs in one phase, more than 200,000,000", error, StringComparison.Ordinal);
        Assert.NotNull(LoadOptions.Parse(["--rate", "queue-e2e=1000000", "--duration", "60s"]).Options);
    }

    [Theory]
    [InlineData("--rate", "queue-kill=2000")]
    [InlineData("--scenarios", "queue-kill")]
    public void The_kill_phase_is_named_as_part_of_queue_e2e(string option, string value)
    {
        // The report shows it as a row of its own, so a user names it.
        var (options, error) = LoadOptions.Parse([option, value]);

        Assert.Null(options);
        Assert.Equal($"{option}: 'queue-kill' is a phase of queue-e2e, which runs it after its open phase: name queue-e2e.", error);
    }

    [Fact]
    public void The_scenario_list_the_messages_give_is_the_scenarios()
    {
        Assert.Equal(LoadArguments.ScenarioList, string.Join(", ", LoadArguments.ScenarioNames));
    }

    [Theory]
    [InlineData("")]
    [InlineData(",")]
    public void Scenarios_must_name_at_least_one(string value)
    {
        var (options, error) = LoadOptions.Parse(["--scenarios", value]);

        Assert.Null(options);
        Assert.Equal("--scenarios: name at least one (enqueue, claim-ack, queue-e2e, http)", error);
    }

    [Theory]
    [InlineData("queue-e2e,,http")]
    [InlineData("queue-e2e,")]
    [InlineData(" , enqueue")]
    public void An_empty_name_among_the_scenarios_is_a_usage_error_not_left_out(string value)
    {
        // helper-78: "queue-e2e,,http" ran both, though a name between the commas was probably lost.
        var (options, error) = LoadOptions.Parse(["--scenarios", value]);

        Assert.Null(options);
        Assert.Equal($"--scenarios '{value}': an empty name in the list (the scenarios are enqueue, claim-ack, queue-e2e, http)", error);
    }

    [Theory]
    [InlineData("--workers", "0.5")]
    [InlineData("--workers", "0")]
    [InlineData("--clients", "-3")]
    [InlineData("--connections", "64.0")]
    [InlineData("--connections", "1e2")]
    public void A_count_that_is_not_a_whole_number_of_at_least_one_is_a_usage_error(string option, string value)
    {
        var (options, error) = LoadOptions.Parse([option, value]);

        Assert.Null(options);
        Assert.Equal($"{option}: '{value}' is not a whole number of at least 1", error);
    }

    [Fact]
    public void Counts_are_whole_numbers()
    {
        var (options, error) = LoadOptions.Parse(["--workers", "3", "--clients", "+20", "--connections", "128"]);

        Assert.Null(error);
        Assert.Equal((3, 20, 128), (options!.Workers, options.Clients, options.Connections));
    }

    [Theory]
    [InlineData(new[] { "--help" }, true)]
    [InlineData(new[] { "-h" }, true)]
    [InlineData(new[] { "--duration", "--help" }, false)]
    public void Help_is_asked_for_by_a_lone_help_option(string[] args, bool asks)
    {
        Assert.Equal(asks, LoadOptions.AsksForHelp(args));
    }

    [Fact]
    public void A_baseline_tolerance_without_a_baseline_is_a_usage_error_not_ignored()
    {
        var (refused, error) = LoadOptions.Parse(["--baseline-tolerance", "200%"]);

        Assert.Null(refused);
        Assert.Equal("--baseline-tolerance is the tolerance of the --baseline comparison, and no --baseline is given: give both, or neither", error);
    }

    [Fact]
    public void A_rate_for_a_scenario_that_does_not_run_is_a_usage_error_not_ignored()
    {
        // helper-61: --scenarios enqueue --rate http=100 ran without a word about the rate.
        var (refused, error) = LoadOptions.Parse(["--scenarios", "enqueue", "--rate", "http=100"]);
        var (kept, none) = LoadOptions.Parse(["--scenarios", "enqueue,http", "--rate", "http-at-rate=100", "--rate", "500"]);

        Assert.Null(refused);
        Assert.Equal("--rate http=100: http does not run (--scenarios enqueue), so its rate would be ignored", error);
        Assert.Null(none);
        Assert.Equal((100.0, 500.0), (kept!.RateFor("http")!.Value, kept.RateFor("enqueue")!.Value));
    }

    [Theory]
    [InlineData("--duration: 'ten' is not a duration", "--duration", "ten")]
    [InlineData("--bogus needs a value", "--bogus")]
    [InlineData("unknown option --bogus", "--bogus", "1")]
    [InlineData("--workers: '0.5' is not a whole number of at least 1", "--workers", "0.5")]
    public void A_bad_option_is_named_as_it_was_typed(string message, params string[] args)
    {
        // helper-61: run by hand, the harness said "'ten' is not a duration" without the option.
        var (options, error) = LoadOptions.Parse(args);

        Assert.Null(options);
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--keep-containers")]
    [InlineData("--keep-containers --duration 2s")]
    [InlineData("--duration 2s --keep-containers --workers 3")]
    public void Keeping_the_containers_is_a_flag_anywhere_among_the_options(string args)
    {
        var (options, error) = LoadOptions.Parse(args.Split(' '));

        Assert.Null(error);
        Assert.True(options!.KeepContainers);
        Assert.False(LoadOptions.Parse(["--duration", "2s"]).Options!.KeepContainers);
    }
}
