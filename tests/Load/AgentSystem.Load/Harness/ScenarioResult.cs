namespace AgentSystem.Load.Harness;

/// <summary>What a scenario's measured part did, as the reports show it.</summary>
internal sealed record ScenarioResult
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    public required string Unit { get; init; }

    public required string StepUnit { get; init; }

    public required IReadOnlyList<string> Simulations { get; init; }

    /// <summary>How long the warm-up ran: the scenario's, or longer while a compiler was busy.</summary>
    public required TimeSpan WarmUp { get; init; }

    /// <summary>From the start of the measured part to the last completed unit of work.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Step invocations that succeeded and failed, in <see cref="StepUnit"/>.</summary>
    public required long Ok { get; init; }

    public required long Failed { get; init; }

    /// <summary>Units of work done (jobs, tasks): by the steps, or the finished work read after the run.</summary>
    public required long Items { get; init; }

    /// <summary>Units of work per second over <see cref="Duration"/>.</summary>
    public required double Rate { get; init; }

    /// <summary>Open model: the invocations per second the simulations asked for (null for a closed model).</summary>
    public required double? TargetRate { get; init; }

    public required LatencySummary Latency { get; init; }

    /// <summary>The step's own duration when <see cref="Latency"/> is of work finished later (null otherwise).</summary>
    public required LatencySummary? CallLatency { get; init; }

    /// <summary>
    /// Open model: how late the generator started invocations after their scheduled moments (null for a closed model).
    /// It is part of <see cref="Latency"/>, which runs from the scheduled moment: a generator short of CPU shows here.
    /// </summary>
    public LatencySummary? GeneratorLag { get; init; }

    /// <summary>
    /// How long the generator's garbage collector stopped it during the measured part. A collection stops every thread
    /// of it, the injector too, and an open step it held back is late by the pause (docs/load-history.md, "The generator's own
    /// pauses"); null before it was measured.
    /// </summary>
    public TimeSpan? GeneratorPaused { get; init; }

    public required IReadOnlyList<TimelinePoint> Timeline { get; init; }

    /// <summary>How much time each point of <see cref="Timeline"/> covers (<see cref="ScenarioRunner.TickFor"/>).</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most frequent errors with their counts.</summary>
    public required IReadOnlyList<(string Error, long Count)> Errors { get; init; }

    public required IReadOnlyList<CheckResult> Checks { get; init; }

    /// <summary>The scenario's thresholds (their checks are in <see cref="Checks"/>), for the charts' guide lines.</summary>
    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    public required string? Reference { get; init; }

    public bool Passed => Checks.All(check => check.Passed);

    /// <summary>
    /// What ran, for the reports: the simulations as asked, the warm-up that ran, and how long the measured part took,
    /// which a phase of fixed work (claim-ack's pre-filled queue) or of work finished later does not take as asked.
    /// </summary>
    public string Ran => string.Join("; ", [.. Simulations,
        WarmUp > TimeSpan.Zero ? $"warm-up {Figures.Format(WarmUp.TotalSeconds)} s" : "no warm-up of its own", $"measured {Figures.Format(Duration.TotalSeconds)} s"]);

    // A second without a CPU sample (the seconds of stored work after the load stopped, or a sample too short to count) is
    // NaN, and would make the mean NaN. A phase without any sample (shorter than CpuSampler.ShortestSpan) has NaN figures.
    public double GeneratorCores => Mean(Timeline.Select(point => point.GeneratorCores).Where(double.IsFinite));

    public double GeneratorCoresMax => Timeline.Select(point => point.GeneratorCores).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();

    public double MachineBusy => Mean(Timeline.Select(point => point.MachineBusy).Where(double.IsFinite));

    /// <summary>Mean cores used per watched process during the run.</summary>
    public IReadOnlyDictionary<string, double> ProcessCores =>
        Timeline.SelectMany(point => point.Processes).GroupBy(pair => pair.Key, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Average(pair => pair.Value), StringComparer.Ordinal);

    private static double Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? double.NaN : list.Average();
    }
}
