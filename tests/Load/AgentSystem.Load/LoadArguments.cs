using System.Globalization;
using System.Text.Json;
using AgentSystem.Contracts;

namespace AgentSystem.Load;

/// <summary>
/// The scenario names and the values of the options the build passes on (--duration, --warm-up, --rate, --scenarios,
/// --baseline-tolerance). Also compiled into the build program (build/_build.csproj), which checks them before anything
/// runs: a typo must not fail <c>./build.sh Test --all</c> after its other targets. No dependencies, for that reason.
/// </summary>
internal static class LoadArguments
{
    public const string Enqueue = "enqueue";
    public const string ClaimAck = "claim-ack";
    public const string EndToEnd = "queue-e2e";
    public const string Http = "http";

    /// <summary>The scenarios, in the order they run, as one text: a constant, for the build's help (an attribute's argument).</summary>
    public const string ScenarioList = Enqueue + ", " + ClaimAck + ", " + EndToEnd + ", " + Http;

    /// <summary>The scenarios, in the order they run; each one's open phase is named NAME-at-rate.</summary>
    public static readonly IReadOnlyList<string> ScenarioNames = ScenarioList.Split(", ");

    public const string OpenPhaseSuffix = "-at-rate";

    /// <summary>The run's summary in its output folder (the other reports beside it).</summary>
    public const string SummaryFile = "summary.json";

    /// <summary>The output folder's folder for the last whole run before the current one (Reports/PreviousRun.cs).</summary>
    public const string PreviousFolder = "previous";

    /// <summary>Where the service logs of a run that wrote no report (interrupted, or failed to start) are kept.</summary>
    public const string InterruptedFolder = "interrupted";

    /// <summary>
    /// A --baseline as its path will read once the run before is set aside in <paramref name="output"/>: its summary.json
    /// and previous/summary.json both mean the last whole run before then (helper-103: previous/summary.json was read
    /// before the set-aside, the run before last, and named after it; helper-104: after an interrupted run summary.json
    /// was "no such file"). Returns the file to read now and the name to report. The build checks the same file.
    /// </summary>
    public static (string Read, string Name) BaselineFile(string baseline, string output)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var summary = Path.Combine(output, SummaryFile);
        var previous = Path.Combine(output, PreviousFolder, SummaryFile);
        var setAside = File.Exists(summary);
        static bool Same(string one, string other) => string.Equals(Path.GetFullPath(one), Path.GetFullPath(other), StringComparison.Ordinal);
        return Same(baseline, summary) ? (setAside ? (summary, previous) : (previous, previous))
            : Same(baseline, previous) && setAside ? (summary, previous)
            : (baseline, baseline);
    }

    /// <summary>
    /// Whether a run of <paramref name="scenarios"/> (null: all) needs the gateway, and so wrk's reference against it:
    /// the http scenarios only. The harness starts the gateway by it, the build installs wrk by it.
    /// </summary>
    public static bool NeedsGateway(IReadOnlyCollection<string>? scenarios) => scenarios is null || scenarios.Contains(Http);

    /// <summary>"5", "5s", "500ms", "2m" or "00:00:05": 0 or more.</summary>
    public static TimeSpan ParseDuration(string text) => Duration(text, "0 or more");

    /// <summary>A measured phase's length: a duration above zero (a phase of 0 s measures nothing and fails every rate).</summary>
    public static TimeSpan ParseMeasured(string text)
    {
        var duration = Duration(text, "more than 0");
        return duration > TimeSpan.Zero ? duration : throw new FormatException($"--duration: '{text}' measures nothing: give more than 0 (5s, 500ms, 2m)");
    }

    private static TimeSpan Duration(string text, string least)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string Forms = "5s, 500ms, 2m, 1h; a bare number is seconds";
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value * unit < TimeSpan.MaxValue.TotalSeconds)
        {
            return TimeSpan.FromSeconds(value * unit);
        }

        // .NET reads "1:30" as an hour and a half, which a user meaning 90 s would learn an hour later.
        if (text.Count(c => c == ':') == 1)
        {
            throw new FormatException($"'{text}' could be minutes or hours: give 90s, 1.5h or hh:mm:ss ({Forms})");
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }

        throw new FormatException(value < 0 || span < TimeSpan.Zero
            ? $"'{text}' is a negative duration: give {least} ({Forms})"
            : $"'{text}' is not a duration ({Forms})");
    }

    /// <summary>"10%" or "10": a percentage of at least 0, as a fraction (0.1).</summary>
    public static double ParseTolerance(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var number = text.EndsWith('%') ? text[..^1] : text;
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent >= 0 && double.IsFinite(percent)
            ? percent / 100
            : throw new FormatException($"--baseline-tolerance: '{text}' is not a percentage (10%, 5%, 0%)");
    }

    /// <summary>
    /// Why the file at <paramref name="path"/> (it exists) cannot be a <c>--baseline</c>, or null: what a comparison needs
    /// of an earlier summary.json, "scenarios" with names and a "reference" with both tools' rows (older summaries lack
    /// later fields). The harness reads it whole afterwards; the build asks this before its other targets run.
    /// </summary>
    public static string? BaselineProblem(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var notOne = $"{path} is not a load summary (an artifacts/load/summary.json)";
        try
        {
            // A summary is tens of KiB; the build reads this while it plans, so a huge file is refused unread.
            if (new FileInfo(path).Length > MaxSummaryBytes)
            {
                return $"{notOne}: it holds over {MaxSummaryBytes / (1024 * 1024)} MiB";
            }

            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            JsonElement? Property(JsonElement element, string name) => element.ValueKind != JsonValueKind.Object ? null
                : element.EnumerateObject().Where(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => (JsonElement?)p.Value).FirstOrDefault();
            var named = Property(root, "scenarios") is { ValueKind: JsonValueKind.Array } scenarios
                && scenarios.EnumerateArray().All(s => Property(s, "name") is { ValueKind: JsonValueKind.String });
            var referenced = Property(root, "reference") is { } reference
                && Property(reference, "redisBenchmark") is { ValueKind: not JsonValueKind.Null }
                && Property(reference, "wrk") is { ValueKind: not JsonValueKind.Null };
            return named && referenced ? null : $"{notOne}: it has no \"scenarios\" with names or no \"reference\"";
        }
        catch (JsonException error)
        {
            // The parser's first sentence and its line; its "Path: $ | LineNumber: 0 | ..." helps no one here.
            return $"{notOne}: it is not JSON (line {error.LineNumber + 1}: {error.Message.Split(". ")[0].TrimEnd('.')})";
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return $"{path} cannot be read: {error.Message}";
        }
    }

    private const long MaxSummaryBytes = 16 * 1024 * 1024;

    /// <summary>"2000" (every open phase) or "queue-e2e=2000" (one scenario's; "queue-e2e-at-rate=2000" means the same).</summary>
    public static (string? Scenario, double PerSecond) ParseRate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('=');
        var scenario = parts is [var name, _] ? ScenarioOf(name, "--rate") : null;
        if (parts.Length > 2 || !double.TryParse(parts[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var perSecond) || !double.IsFinite(perSecond))
        {
            throw new FormatException($"--rate: '{text}' is not RATE or SCENARIO=RATE, a rate being a positive number per second (2000, queue-e2e=2000)");
        }

        // A number in the right place that is zero or less, or beyond any machine: the form was right, the value is what to change.
        return perSecond switch
        {
            <= 0 => throw new FormatException($"--rate: '{text}' is no rate: a rate is a number per second above zero (2000, queue-e2e=2000)"),
            > MaxRate => throw new FormatException(
                $"--rate: '{text}' is above {MaxRate:N0}/s, more than any machine here runs (an open phase makes its jobs' rows for 30 s of it first)"),
            _ => (scenario, perSecond),
        };
    }

    /// <summary>
    /// The highest --rate: twenty-five times the closed phase's best here. Far above it a phase's job count overflowed an int
    /// (helper-139: 1e9) and its rows took minutes to make before the phase began.
    /// </summary>
    public const double MaxRate = 1_000_000;

    /// <summary>The most jobs one open phase may make (a row each): far below an int's range, and minutes of rows already.</summary>
    public const double MostJobsPerPhase = 200_000_000;

    /// <summary>
    /// An open phase makes a job row for each of its invocations, warm-up included: the highest of <paramref name="rates"/>
    /// over <paramref name="warmUp"/> and <paramref name="duration"/> past <see cref="MostJobsPerPhase"/> is refused
    /// (1,000,000/s for 40 min overflowed its count, each value alone being fine); null when within.
    /// </summary>
    public static string? JobBudgetProblem(IEnumerable<double> rates, TimeSpan duration, TimeSpan warmUp)
    {
        var most = rates.DefaultIfEmpty(0).Max();
        var seconds = (duration + warmUp).TotalSeconds;
        return most * seconds <= MostJobsPerPhase ? null
            : $"--rate {most:0.#}/s over --warm-up and --duration ({seconds:0.#} s) makes {most * seconds:N0} jobs in one phase, "
                + $"more than {MostJobsPerPhase:N0}: lower one of them";
    }

    /// <summary>What a --baseline-tolerance without a --baseline is told: it would change nothing (helper-97: a whole run took it without a word).</summary>
    public const string ToleranceWithoutBaseline = "is the tolerance of the --baseline comparison, and no --baseline is given: give both, or neither";

    /// <summary>
    /// A --rate for a scenario that --scenarios leaves out would be ignored without a word: its message, or null when
    /// every rate names a scenario that runs (or none, which sets every open phase's).
    /// </summary>
    public static string? RateLeftOut(IEnumerable<string> rates, IReadOnlySet<string>? scenarios)
    {
        ArgumentNullException.ThrowIfNull(rates);
        if (scenarios is null)
        {
            return null;
        }

        foreach (var text in rates)
        {
            if (ParseRate(text).Scenario is { } scenario && !scenarios.Contains(scenario))
            {
                return $"--rate {text}: {scenario} does not run (--scenarios {string.Join(",", ScenarioNames.Where(scenarios.Contains))}), so its rate would be ignored";
            }
        }

        return null;
    }

    /// <summary>"enqueue,claim-ack": the scenarios to run, at least one, each a known name.</summary>
    public static IReadOnlySet<string> ParseScenarios(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var names = text.Split(',', StringSplitOptions.TrimEntries);
        if (names.All(string.IsNullOrEmpty))
        {
            throw new FormatException($"--scenarios: name at least one ({ScenarioList})");
        }

        // "queue-e2e,,http" is more likely a name lost (an empty variable) than a stray comma: said, not run without it.
        if (names.Contains(""))
        {
            throw new FormatException($"--scenarios '{text}': an empty name in the list (the scenarios are {ScenarioList})");
        }

        // Every name that is none, each with its own hint (a phase's scenario, a likely typo), not only the first.
        var unknown = names.Where(name => !ScenarioNames.Contains(name)).Distinct().ToList();
        return unknown.Count > 0
            ? throw new FormatException(string.Join(" ", unknown.Select(name => UnknownMessage(name, "--scenarios"))))
            : names.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The phase the report shows as a row of its own that is part of queue-e2e (its worker SIGKILLed).</summary>
    public const string KillPhase = "queue-kill";

    public static string Known(string scenario, string option) =>
        ScenarioNames.Contains(scenario, StringComparer.Ordinal) ? scenario : throw new FormatException(UnknownMessage(scenario, option));

    private static string UnknownMessage(string scenario, string option) =>
        scenario == KillPhase
            ? $"{option}: '{KillPhase}' is a phase of {EndToEnd}, which runs it after its open phase: name {EndToEnd}."
        : ScenarioOfPhase(scenario) is { } stem
            ? $"{option}: '{scenario}' is the open phase of {stem}: name {stem}, which runs it{(stem is Enqueue or ClaimAck ? " when given a --rate" : "")}."
            : $"{option}: no scenario '{scenario}'.{Suggestions.DidYouMean(scenario, ScenarioNames)} There are {ScenarioList} (a scenario runs its open phase, NAME{OpenPhaseSuffix}, itself).";

    /// <summary>The scenario a name is or whose open phase it names (<c>queue-e2e-at-rate</c>), or null for none.</summary>
    public static string? ScenarioOfPhase(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var stem = StemOf(name);
        return ScenarioNames.Contains(stem) ? stem : null;
    }

    // A rate names a scenario or its open phase: both mean the scenario's open phase.
    private static string ScenarioOf(string name, string option) => Known(StemOf(name), option);

    private static string StemOf(string name) =>
        name.EndsWith(OpenPhaseSuffix, StringComparison.Ordinal) ? name[..^OpenPhaseSuffix.Length] : name;
}
