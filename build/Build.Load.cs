using AgentSystem.Build.Engine;
using AgentSystem.Build.Testing;
using AgentSystem.Build.Tools;
using AgentSystem.Load;

namespace AgentSystem.Build;

internal partial class Build
{
    // Text, checked by the harness's own parser when LoadTest is planned: a target that does not run leaves it alone.
    [Parameter("How long each load simulation of LoadTest runs (5s, 500ms, 2m; a bare number is seconds); the default keeps the whole run short for CI", Values = ParameterSet.Duration)]
    private readonly string Duration = "3s";

    [Parameter("How long LoadTest drives each scenario at least before measuring (5s, 500ms, 2m); it goes on, about 30 s more at most, while a JIT compiler of the run is busy", Values = ParameterSet.Duration)]
    private readonly string WarmUp = "1s";

    [Parameter("LoadTest's open-model injection rate (per second), for all scenarios or as SCENARIO=N; default: half the maximum the run measured", Values = "rate")]
    private readonly string[]? Rate;

    [Parameter("LoadTest runs only these scenarios (" + LoadArguments.ScenarioList + "), each with its open phase (enqueue and claim-ack: with --rate; queue-e2e also queue-kill); default: all", Values = "name")]
    private readonly string[]? Scenarios;

    [Parameter("An earlier artifacts/load/summary.json that LoadTest's report compares with", Values = "file")]
    private readonly string? Baseline;

    [Parameter("The change LoadTest's --baseline comparison takes for noise, in percent (25 or 25%); default 10 %", Values = "percent")]
    private readonly string? BaselineTolerance;

    [Parameter("LoadTest leaves its PostgreSQL and Redis containers running after the run, to look at what it stored; it prints how to reach and remove them")]
    private readonly bool KeepContainers;

    private string LoadArtifacts => Path.Combine(ArtifactsDirectory, "load");

    /// <summary>How long an interrupted harness has to stop its services and remove its containers (1 to 3 s when tried).</summary>
    private static readonly TimeSpan LoadHarnessStopGrace = TimeSpan.FromSeconds(30);

    private Target LoadTest => _ => _
        .Description("Load tests on the Redis queue path (Release services, real PostgreSQL and Redis, redis-benchmark and wrk in the same run); a breached threshold fails; reports in artifacts/load")
        .WritesOutputs()
        .DependsOn(Affected, DockerEngine, BaseImages)
        .After(UnitTest, IntegrationTest, SystemTest)
        .Reads(() => Duration, () => WarmUp, () => Rate, () => Scenarios, () => Baseline, () => BaselineTolerance, () => KeepContainers)
        .Validates(() => NamedWithService(nameof(LoadTest), "it loads the whole queue path"))
        .OnlyWhenStatic(() => Service is not { Length: > 0 }, "--service selects one service; the load test runs for the whole queue path (CI: the load job)")
        // Named, it runs whatever changed (the report is what was asked for); as a step of Test, only when affected.
        .OnlyWhenStatic(() => LoadTests.Affected(Changes) || (RequestedTargets.Contains(nameof(LoadTest)) && LoadTests.Present(Changes)),
            $"the load harness is not affected, nor anything it references (queue, store, worker, orchestrator, gateway, the tests' container library); named ({BuildScript.Command} LoadTest) or with --all it runs anyway")
        .Touches(() => LoadTests.Services(Changes))
        .RunsBecause(() => All ? null
            : LoadTests.AffectedReferences(Changes) is { Count: > 0 } affected ? $"affected: {ProjectList([.. affected], 2)}"
            : "named")
        .Validates(LoadOptionProblems)
        .Executes(() =>
        {
            if (LoadArguments.NeedsGateway(Scenarios))
            {
                EnsureWrk();   // the gateway's reference
            }

            // Release, always: the figures are about the services as shipped, whatever --configuration the rest uses.
            // Tens of seconds on a first run: a heading, a heartbeat and the whole output in a log, as Dev's build.
            LoggedStep.Run("Building the load harness and the services it runs (Release)", Path.Combine(StepLogs, "load-build.log"),
                "dotnet", ["build", LoadTests.Project, "-c", "Release", "-nodeReuse:false", "-v", "q"], RootDirectory, DotnetEnvironment, CancellationToken);
            // The harness's own process, not `dotnet run`'s: interrupted, it is the one told to stop, and it removes its
            // services and containers (or says how to reach the kept ones) before it exits.
            List<string> arguments = [ProjectDll(LoadTests.Project, Configuration.Release),
                .. LoadHarnessOptions(), "--output", LoadArtifacts, "--reference-image", BaseImageFor("redis"), "--docker", Docker.Cli];
            var environment = new Dictionary<string, string>(DotnetEnvironment)
            {
                // The generator's collections stop its injector, which makes the open phases' steps late: with 4 MB
                // between them instead of the default's ~17 MB here, the injector was less late and the end-to-end p99
                // at half the maximum lower in each of six alternating pairs (docs/load-history.md). The harness takes it out of
                // its services' environment (ServiceHost.GeneratorGen0Variable); the runtime reads it from nowhere else.
                ["DOTNET_GCgen0size"] = "0x400000",
            };
            foreach (var (key, value) in BaseImageEnvironment)
            {
                environment[key] = value;
            }

            var started = DateTime.UtcNow;
            try
            {
                ProcessRunner.Run("dotnet", arguments, RootDirectory, environment, LoadHarnessStopGrace, CancellationToken);
            }
            catch (ToolFailedException error) when (error.ExitCode == LoadTests.UsageExitCode)
            {
                throw new UsageException("The load harness rejected an option (its message is above): check --rate, --duration, --warm-up, --scenarios, --baseline and --baseline-tolerance.");
            }
            finally
            {
                // Only this run's report: one left by an earlier run is not news.
                var report = Path.Combine(LoadArtifacts, "report.html");
                if (File.Exists(report) && File.GetLastWriteTimeUtc(report) >= started)
                {
                    Log.Info($"Load report: {LoggedStep.DisplayPath(report)}");
                }
            }
        });

    /// <summary>The build's LoadTest parameters as the harness's options (--duration, --warm-up, --rate, ...).</summary>
    internal List<string> LoadHarnessOptions() =>
        [.. LoadHarnessArguments().SelectMany(argument => new[] { argument.Option, argument.Value }), .. KeepContainers ? ["--keep-containers"] : Array.Empty<string>()];

    // An option the harness is given, the build parameter it comes from (for messages naming it as it was given) and
    // the harness's own parser for its value (--baseline: what the file holds; a missing one is named below).
    private sealed record HarnessArgument(string Option, string Value, string Parameter, Action<string>? Parse);

    // A list given empty is refused when the parameters are bound.
    private IEnumerable<HarnessArgument> LoadHarnessArguments()
    {
        yield return new("--duration", Duration, nameof(Duration), text => LoadArguments.ParseMeasured(text));
        yield return new("--warm-up", WarmUp, nameof(WarmUp), text => LoadArguments.ParseDuration(text));
        foreach (var rate in Rate ?? [])
        {
            yield return new("--rate", rate, nameof(Rate), text => LoadArguments.ParseRate(text));
        }

        if (Scenarios is not null)
        {
            yield return new("--scenarios", string.Join(',', Scenarios), nameof(Scenarios), text => LoadArguments.ParseScenarios(text));
        }

        if (Baseline is { Length: > 0 })
        {
            yield return new("--baseline", Path.GetFullPath(Baseline, RootDirectory), nameof(Baseline),
                path => { if (BaselineRead(path) is var read && File.Exists(read) && LoadArguments.BaselineProblem(read) is { } problem) { throw new FormatException(problem); } });
        }

        if (BaselineTolerance is { Length: > 0 })
        {
            yield return new("--baseline-tolerance", BaselineTolerance, nameof(BaselineTolerance), text => LoadArguments.ParseTolerance(text));
        }
    }

    /// <summary>The file the harness will read for --baseline <paramref name="path"/> (summary.json: the last whole run).</summary>
    private string BaselineRead(string path) => LoadArguments.BaselineFile(path, LoadArtifacts).Read;

    /// <summary>
    /// The options passed on to the harness, read with its own parsers (compiled in from tests/Load), so that a typo fails
    /// the build before anything runs, not after the images and the other test targets.
    /// </summary>
    private IEnumerable<string> LoadOptionProblems()
    {
        foreach (var problem in LoadHarnessArguments().Select(Problem).OfType<string>())
        {
            yield return problem;
        }

        if (Rate is { Length: > 0 } && Scenarios is { Length: > 0 } && LeftOutRate() is { } leftOut)
        {
            yield return leftOut;
        }

        if (Rate is { Length: > 0 } && JobBudget() is { } overBudget)
        {
            yield return overBudget;
        }

        if (Baseline is { Length: > 0 } && !File.Exists(BaselineRead(Path.GetFullPath(Baseline, RootDirectory))))
        {
            yield return $"{GivenAs(nameof(Baseline))} {Baseline}: no such file";
        }

        if (BaselineTolerance is { Length: > 0 } && Baseline is not { Length: > 0 })
        {
            yield return $"{GivenAs(nameof(BaselineTolerance))} {LoadArguments.ToleranceWithoutBaseline}";
        }

        // Only once each value parses (a bad one is reported above, by itself).
        string? JobBudget()
        {
            try
            {
                return LoadArguments.JobBudgetProblem(Rate.Select(rate => LoadArguments.ParseRate(rate).PerSecond), LoadArguments.ParseMeasured(Duration),
                    LoadArguments.ParseDuration(WarmUp));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        string? LeftOutRate()
        {
            try
            {
                return LoadArguments.RateLeftOut(Rate, LoadArguments.ParseScenarios(string.Join(',', Scenarios)));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        // The harness's message, naming the value as it was given (an option, an environment variable): the harness
        // names its own option, which a user who set DURATION never typed.
        string? Problem(HarnessArgument argument)
        {
            if (argument.Parse is null)
            {
                return null;
            }

            try
            {
                argument.Parse(argument.Value);
                return null;
            }
            catch (FormatException error)
            {
                var given = GivenAs(argument.Parameter);
                return error.Message.StartsWith(argument.Option + " ", StringComparison.Ordinal) || error.Message.StartsWith(argument.Option + ":", StringComparison.Ordinal)
                    ? given + error.Message[argument.Option.Length..]
                    : $"{given}: {error.Message}";
            }
        }
    }

    /// <summary>
    /// wrk is the HTTP scenarios' reference (Debian's package; unlike redis-benchmark it has no image to fall back on):
    /// installed as the browser tests' Chromium is, or the run goes on without that reference and says why.
    /// </summary>
    private void EnsureWrk()
    {
        if (Executables.OnPath("wrk").Count > 0)
        {
            return;
        }

        if (!Apt.CanInstall(out var why))
        {
            Log.Warning($"No wrk on PATH, and the build cannot install it ({why}): the HTTP scenarios run without their wrk reference.");
            return;
        }

        Log.Info("No wrk found; installing Debian's wrk package for the HTTP reference.");
        Apt.Install(["wrk"], StepLogs, CancellationToken);
    }
}
