using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Reports;

/// <summary>
/// summary.json: the figures of a run in a stable shape, for machines and for <c>--baseline</c>:
/// <c>{"scenarios": [{"name", "rps", "p50Ms", "p99Ms", "p999Ms", "errors", "thresholdsPassed", ...}], "reference": {...}, ...}</c>.
/// A scenario's <c>errors</c> and <c>requests</c> count step invocations, in its <c>stepUnit</c> ("enqueue calls of 100
/// jobs"), not units of work.
/// </summary>
internal sealed record Summary(
    DateTimeOffset CreatedAt,
    MachineInfo Machine,
    IReadOnlyList<ScenarioSummary> Scenarios,
    ReferenceSummary Reference,
    IReadOnlyList<GoalResult> Goals,
    bool Passed)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>An earlier run's summary (<c>--baseline</c>); <see cref="InvalidDataException"/> when the file is not one.</summary>
    public static Summary Read(string path)
    {
        if (LoadArguments.BaselineProblem(path) is { } problem)
        {
            throw new InvalidDataException(problem);
        }

        try
        {
            return JsonSerializer.Deserialize<Summary>(File.ReadAllText(path), Json)!;
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{path} is not a load summary (an artifacts/load/summary.json): {error.Message}", error);
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// "goals met: 3 of 5 (reported, not asserted)" for the reports' first line, so that a goal marked "no" below the
    /// thresholds' verdict does not read as a contradiction (helper-112); null when no goal was judged.
    /// </summary>
    public string? GoalsVerdict()
    {
        var judged = (Goals ?? []).Where(goal => goal.Met is not null).ToList();
        return judged.Count == 0 ? null
            : string.Create(CultureInfo.InvariantCulture, $"goals met: {judged.Count(goal => goal.Met == true)} of {judged.Count} (reported, not asserted)");
    }
}

/// <summary>The machine and how busy it was: figures from a shared machine mean little without it.</summary>
internal sealed record MachineInfo(int Cores, string Os, string Runtime, double LoadAverageStart, double LoadAverageEnd, string Notes)
{
    /// <summary>A report's first line: the machine, how busy it was (every rate below reads against that), and the notes.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Cores} cores, {Os}, .NET {Runtime}; load average {LoadAverageStart:0.0} at the start, {LoadAverageEnd:0.0} at the end. {Notes}");
}

internal sealed record ScenarioSummary(
    string Name,
    string Unit,
    double Rps,
    double? TargetRps,
    double P50Ms,
    double P75Ms,
    double P95Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs,
    long Errors,
    long Requests,
    string StepUnit,
    double DurationSeconds,
    double? CallP99Ms,
    double? GeneratorLagP99Ms,
    double? GeneratorGcPauseMs,
    double? GeneratorCores,
    double? GeneratorCoresMax,
    double? MachineBusy,
    IReadOnlyDictionary<string, double> ProcessCores,
    string? Reference,
    double? ReferenceRatio,
    bool ThresholdsPassed,
    IReadOnlyList<CheckResult> Thresholds)
{
    public static ScenarioSummary From(ScenarioResult result, ReferenceSummary reference)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(reference);
        var referenceRps = result.Reference is { } name ? reference.Find(name)?.Jobs : null;
        return new(result.Name, result.Unit, Round(result.Rate), result.TargetRate is { } target ? Round(target) : null,
            Round(result.Latency.P50), Round(result.Latency.P75), Round(result.Latency.P95), Round(result.Latency.P99), Round(result.Latency.P999),
            Round(result.Latency.Max), result.Failed, result.Ok + result.Failed, result.StepUnit, Round(result.Duration.TotalSeconds),
            result.CallLatency is { } call ? Round(call.P99) : null, result.GeneratorLag is { } lag ? Round(lag.P99) : null,
            result.GeneratorPaused is { } paused ? Round(paused.TotalMilliseconds) : null, Measured(result.GeneratorCores), Measured(result.GeneratorCoresMax), Measured(result.MachineBusy),
            result.ProcessCores.ToDictionary(pair => pair.Key, pair => Round(pair.Value), StringComparer.Ordinal), result.Reference,
            referenceRps is > 0 ? Round(result.Rate / referenceRps.Value) : null, result.Passed, result.Checks);
    }

    private static double Round(double value) => double.IsFinite(value) ? Figures.Round(value) : 0;

    /// <summary>A CPU figure, or null when the phase had no sample long enough to measure (shown as "-", not as 0).</summary>
    private static double? Measured(double value) => double.IsFinite(value) ? Round(value) : null;
}

/// <summary>One reference measurement of the same run: a redis-benchmark command or a wrk run.</summary>
/// <param name="Rps">Requests a second.</param>
/// <param name="JobsPerCall">Jobs each request carries (an enqueue of many): a scenario counted in jobs is compared with <see cref="Jobs"/>.</param>
/// <param name="CommandLine">What ran, as a shell would take it (the password as $REDIS_PASSWORD): reference-commands.sh, not summary.json.</param>
/// <param name="Then">A command the run ran after this row, to run after it by hand too (its keys removed).</param>
internal sealed record ReferenceResult(string Name, string Command, int Clients, int Pipeline, double Rps, double? P50Ms, double? P99Ms, int JobsPerCall = 1,
    [property: System.Text.Json.Serialization.JsonIgnore] string? CommandLine = null,
    [property: System.Text.Json.Serialization.JsonIgnore] string? Then = null)
{
    /// <summary>The rate in jobs (requests for a row of one job a call, and for wrk).</summary>
    public double Jobs => Rps * JobsPerCall;
}

/// <param name="Conditions">How the redis-benchmark rows ran (requests, payload, the server), for the report's reader.</param>
internal sealed record ReferenceSummary(IReadOnlyList<ReferenceResult> RedisBenchmark, IReadOnlyList<ReferenceResult> Wrk, string? Conditions = null)
{
    public static ReferenceSummary None { get; } = new([], []);

    public ReferenceResult? Find(string name) =>
        RedisBenchmark.Concat(Wrk).FirstOrDefault(row => string.Equals(row.Name, name, StringComparison.Ordinal));
}

/// <summary>
/// A goal of the issue, reported as achieved or not, or null: not measured (CI asserts only the looser thresholds);
/// <paramref name="Before"/> is the figure the issue started from, measured otherwise (it says how), or null.
/// </summary>
internal sealed record GoalResult(string Name, string Goal, string Achieved, bool? Met, string? Before = null);
