using System.Globalization;
using AgentSystem.Build.Engine;
using AgentSystem.Load.Reports;

namespace AgentSystem.Load;

/// <summary>The command line (<see cref="Help"/>); every option has a default for a short run.</summary>
internal sealed record LoadOptions
{
    private static readonly string[] Synopsis =
    [
        "[--duration 5s]", "[--warm-up 2s]", "[--rate N | --rate SCENARIO=N ...]", "[--baseline FILE]", "[--baseline-tolerance 10%]",
        "[--output artifacts/load]", "[--scenarios NAME,...]", "[--workers 2]", "[--clients 50]", "[--connections 64]",
        "[--postgres CONNECTION]", "[--redis CONFIGURATION]", "[--keep-containers]", "[--reference-image IMAGE]", "[--docker docker]",
    ];

    private static readonly (string Option, string Description)[] Descriptions =
    [
        ("--duration", "how long each measured load simulation runs, more than 0 (seconds, or 500ms, 2m); ./build.sh LoadTest passes 3s, and 1s for --warm-up"),
        ("--warm-up", "how long each scenario runs unmeasured first; it goes on, about 30 s more at most, while a JIT compiler of the run is busy"),
        ("--rate", "the open-model phases' injection rate in the scenario's unit per second (jobs; tasks of 5 jobs for http), for all or one scenario "
            + "(queue-e2e=2000 or queue-e2e-at-rate=2000); default: half of the maximum the scenario's closed phase measured in this run, for "
            + "queue-e2e and http; enqueue and claim-ack get an open phase only when given a rate"),
        ("--baseline", "an earlier summary.json: the report shows each metric's change"),
        ("--baseline-tolerance", "a change of at most this percentage is shown as within tolerance, not better or worse (runs of one build minutes "
            + "apart on a shared machine differ by tens of percent); errors appearing where there were none are worse whatever it is"),
        ("--scenarios", $"run only these ({LoadArguments.ScenarioList}), each with its open phase (enqueue and claim-ack have one with --rate; queue-e2e also queue-kill, its SIGKILL check); the others are left out"),
        ("--workers", "worker processes under load"),
        ("--clients", "copies of the enqueue and claim-ack phases, and redis-benchmark's clients"),
        ("--connections", "HTTP connections of the closed http phase and of wrk's reference run"),
        ("--postgres", "PostgreSQL (Npgsql connection string) instead of a container"),
        ("--redis", "Redis (StackExchange.Redis configuration) instead of a container"),
        ("--keep-containers", "leave the PostgreSQL and Redis containers running after the run, to look at what it stored; the run prints how to reach and remove them"),
        ("--reference-image", "an image with redis-benchmark, run with host networking when redis-benchmark is not on PATH"),
        ("--docker", "the docker command that runs that image"),
        ("--output", "where the reports go (each run rewrites them)"),
    ];

    /// <summary>The usage: the synopsis, then each option's description, wrapped at spaces to <paramref name="width"/>.</summary>
    public static IEnumerable<string> Help(int width)
    {
        const string Lead = "usage: AgentSystem.Load ";
        var line = Lead;
        foreach (var part in Synopsis)
        {
            if (line.Length > Lead.Length && line.Length + part.Length > width)
            {
                yield return line.TrimEnd();
                line = new string(' ', Lead.Length);
            }

            line += part + " ";
        }

        yield return line.TrimEnd();
        yield return "";
        var table = new TextTable("Option", "What it sets");
        foreach (var (option, description) in Descriptions)
        {
            table.AddRow(option, description);
        }

        foreach (var row in table.FitTo(width, 1).Render())
        {
            yield return row;
        }
    }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(2);

    public double? Rate { get; init; }

    public IReadOnlyDictionary<string, double> ScenarioRates { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    public string? Baseline { get; init; }

    /// <summary>The summary <see cref="Baseline"/> names, read while the options are parsed.</summary>
    public Summary? BaselineSummary { get; init; }

    /// <summary>The largest change against the baseline that is not called better or worse, as a fraction (0.1 is 10 %).</summary>
    public double BaselineTolerance { get; init; } = 0.10;

    public string Output { get; init; } = Path.Combine("artifacts", "load");

    public IReadOnlySet<string>? Scenarios { get; init; }

    public int Workers { get; init; } = 2;

    public int Clients { get; init; } = 50;

    /// <summary>
    /// Enough for the gateway's maximum: the services group-commit concurrent submissions, so their rate grows with
    /// the batches (sandbox, one hour of a quiet machine: 1,847 tasks/s at 16, 2,178 at 32, 2,543 to 2,626 at 64, 3,131 at 128; docs/load-history.md).
    /// </summary>
    public int Connections { get; init; } = 64;

    public string? Postgres { get; init; }

    public string? Redis { get; init; }

    public string? ReferenceImage { get; init; }

    public string Docker { get; init; } = "docker";

    /// <summary>The containers the run started stay up after it (a flag: the one option without a value).</summary>
    public bool KeepContainers { get; init; }

    private const string KeepContainersOption = "--keep-containers";

    public bool Runs(string scenario) => Scenarios is null || Scenarios.Contains(scenario);

    /// <summary>The rate asked for a scenario's open phase, if any.</summary>
    public double? RateFor(string scenario) => ScenarioRates.TryGetValue(scenario, out var rate) ? rate : Rate;

    /// <summary>True for a lone --help or -h: the caller prints <see cref="Help"/> and exits 0.</summary>
    public static bool AsksForHelp(IReadOnlyList<string> args) => args is ["--help" or "-h"];

    /// <summary>Null with a message on a usage error.</summary>
    public static (LoadOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new LoadOptions
        {
            Postgres = System.Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is { Length: > 0 } postgres ? postgres : null,
            Redis = System.Environment.GetEnvironmentVariable("Redis__Configuration") is { Length: > 0 } redis ? redis : null,
        };
        var rates = new Dictionary<string, double>(StringComparer.Ordinal);
        var rateTexts = new List<string>();
        var toleranceGiven = false;
        var name = "";
        try
        {
            for (var i = 0; i < args.Count; i += 2)
            {
                name = args[i];
                if (name == KeepContainersOption)
                {
                    options = options with { KeepContainers = true };
                    i--;
                    continue;
                }

                if (!name.StartsWith("--", StringComparison.Ordinal))
                {
                    return (null, $"expected --option value, not '{name}'");
                }

                if (i + 1 >= args.Count)
                {
                    return (null, $"{name} needs a value");
                }

                var value = args[i + 1];
                if (name == "--rate")
                {
                    rateTexts.Add(value);
                }

                toleranceGiven |= name == "--baseline-tolerance";

                options = name[2..] switch
                {
                    "duration" => options with { Duration = LoadArguments.ParseMeasured(value) },
                    "warm-up" => options with { WarmUp = LoadArguments.ParseDuration(value) },
                    "rate" => WithRate(options, rates, LoadArguments.ParseRate(value)),
                    "baseline" => options with { Baseline = value },
                    "baseline-tolerance" => options with { BaselineTolerance = LoadArguments.ParseTolerance(value) },
                    "output" => options with { Output = value },
                    "scenarios" => options with { Scenarios = LoadArguments.ParseScenarios(value) },
                    "workers" => options with { Workers = Count(value, name) },
                    "clients" => options with { Clients = Count(value, name) },
                    "connections" => options with { Connections = Count(value, name) },
                    "postgres" => options with { Postgres = value },
                    "redis" => options with { Redis = value },
                    "reference-image" => options with { ReferenceImage = value },
                    "docker" => options with { Docker = value },
                    _ => throw new FormatException($"unknown option {name}"),
                };
            }
        }
        catch (FormatException error)
        {
            // Named as the build names it ("--duration: 'ten' is not a duration"), unless the message names it already.
            return (null, error.Message.Contains(name, StringComparison.Ordinal) ? error.Message : $"{name}: {error.Message}");
        }

        if (LoadArguments.RateLeftOut(rateTexts, options.Scenarios) is { } leftOut)
        {
            return (null, leftOut);
        }

        if (LoadArguments.JobBudgetProblem(rates.Values.Append(options.Rate ?? 0), options.Duration, options.WarmUp) is { } overBudget)
        {
            return (null, overBudget);
        }

        if (toleranceGiven && options.Baseline is null)
        {
            return (null, $"--baseline-tolerance {LoadArguments.ToleranceWithoutBaseline}");
        }

        if (options.Baseline is { } baseline)
        {
            // Read now: a file that is no summary would otherwise fail the run after all its phases, with no report.
            try
            {
                // As the path will read once the run before is set aside (artifacts/load/previous/summary.json: the run before).
                var read = LoadArguments.BaselineFile(baseline, options.Output).Read;
                options = options with { BaselineSummary = File.Exists(read) ? Summary.Read(read) : throw new FileNotFoundException("no such file") };
            }
            catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return (null, $"--baseline {baseline}: {error.Message}");
            }
        }

        return (options with { ScenarioRates = rates }, null);
    }

    /// <summary>A count of processes, copies or connections: a whole number of at least 1 ("0.5" is refused, not cut to 0).</summary>
    private static int Count(string text, string option) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value
            : throw new FormatException($"{option}: '{text}' is not a whole number of at least 1");

    private static LoadOptions WithRate(LoadOptions options, Dictionary<string, double> rates, (string? Scenario, double PerSecond) rate)
    {
        if (rate.Scenario is null)
        {
            return options with { Rate = rate.PerSecond };
        }

        rates[rate.Scenario] = rate.PerSecond;
        return options;
    }
}
