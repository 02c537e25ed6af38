namespace AgentSystem.Load.Harness;

/// <summary>
/// How a scenario is driven for a while, in NBomber's two models. Closed: a number of copies each run the step again as
/// soon as it returns (the system's speed sets the rate). Open: step invocations are injected at a rate whatever the
/// system does (latency is measured from each invocation's scheduled time, so a slow system cannot hide its queueing).
/// Ramping simulations start from where the previous simulation of the scenario ended.
/// </summary>
internal abstract record LoadSimulation(TimeSpan During)
{
    public abstract bool IsOpen { get; }

    /// <summary>The copies (closed) or invocations per second (open) aimed at <paramref name="elapsed"/> into this simulation.</summary>
    public abstract double TargetAt(TimeSpan elapsed, double previous);

    /// <summary>The target when the simulation ends: where a following ramp starts.</summary>
    public virtual double EndTarget(double previous) => TargetAt(During, previous);

    /// <summary>For the log and the report; <paramref name="stepUnit"/> names what an open simulation injects.</summary>
    public abstract string Describe(string stepUnit);

    protected static double Ramp(double from, double to, TimeSpan elapsed, TimeSpan during) =>
        during <= TimeSpan.Zero ? to : from + ((to - from) * Math.Clamp(elapsed / during, 0, 1));
}

/// <summary>Closed: <see cref="Copies"/> copies for <see cref="LoadSimulation.During"/>.</summary>
internal sealed record KeepConstant(int Copies, TimeSpan During) : LoadSimulation(During)
{
    public override bool IsOpen => false;

    public override double TargetAt(TimeSpan elapsed, double previous) => Copies;

    public override string Describe(string stepUnit) => $"keep {Copies} copies for {Seconds(During)}";

    internal static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " s";

    /// <summary>"a second" for the usual interval ("calls of 5 jobs per 1 s" read awkwardly: helper-112), else "per 2 s".</summary>
    internal static string Per(TimeSpan interval) => interval == TimeSpan.FromSeconds(1) ? "a second" : $"per {Seconds(interval)}";
}

/// <summary>Closed: copies ramp linearly from the previous simulation's to <see cref="Copies"/>.</summary>
internal sealed record RampingConstant(int Copies, TimeSpan During) : LoadSimulation(During)
{
    public override bool IsOpen => false;

    public override double TargetAt(TimeSpan elapsed, double previous) => Math.Round(Ramp(previous, Copies, elapsed, During));

    public override string Describe(string stepUnit) => $"ramp to {Copies} copies over {KeepConstant.Seconds(During)}";
}

/// <summary>Closed: <see cref="Copies"/> copies share <see cref="Iterations"/> step runs in all; it ends when they are done.</summary>
internal sealed record IterationsForConstant(int Copies, long Iterations) : LoadSimulation(TimeSpan.Zero)
{
    public override bool IsOpen => false;

    public override double TargetAt(TimeSpan elapsed, double previous) => Copies;

    public override double EndTarget(double previous) => Copies;

    public override string Describe(string stepUnit) => $"{Copies} copies for {Figures.Format(Iterations, decimals: false)} iterations";
}

/// <summary>Open: <see cref="Rate"/> invocations per <see cref="Interval"/>, spread evenly.</summary>
internal sealed record Inject(double Rate, TimeSpan Interval, TimeSpan During) : LoadSimulation(During)
{
    public override bool IsOpen => true;

    public override double TargetAt(TimeSpan elapsed, double previous) => Rate / Interval.TotalSeconds;

    public override string Describe(string stepUnit) => $"inject {Rate:#,0.#} {stepUnit} {KeepConstant.Per(Interval)} for {KeepConstant.Seconds(During)}";
}

/// <summary>Open: the rate ramps linearly from the previous simulation's to <see cref="Rate"/> per <see cref="Interval"/>.</summary>
internal sealed record RampingInject(double Rate, TimeSpan Interval, TimeSpan During) : LoadSimulation(During)
{
    public override bool IsOpen => true;

    public override double TargetAt(TimeSpan elapsed, double previous) => Ramp(previous, Rate / Interval.TotalSeconds, elapsed, During);

    public override string Describe(string stepUnit) => $"ramp to {Rate:#,0.#} {stepUnit} {KeepConstant.Per(Interval)} over {KeepConstant.Seconds(During)}";
}

/// <summary>NBomber's factory names.</summary>
internal static class Simulation
{
    public static LoadSimulation KeepConstant(int copies, TimeSpan during) => new KeepConstant(Positive(copies), during);

    public static LoadSimulation RampingConstant(int copies, TimeSpan during) => new RampingConstant(copies, during);

    public static LoadSimulation IterationsForConstant(int copies, long iterations) => new IterationsForConstant(Positive(copies), iterations);

    public static LoadSimulation Inject(double rate, TimeSpan interval, TimeSpan during) => new Inject(rate, interval, during);

    public static LoadSimulation RampingInject(double rate, TimeSpan interval, TimeSpan during) => new RampingInject(rate, interval, during);

    private static int Positive(int copies) => copies >= 1 ? copies : throw new ArgumentOutOfRangeException(nameof(copies), copies, "At least one copy.");
}

/// <summary>
/// The open model's schedule. Every open simulation's rate is linear in time (constant or a ramp), so the invocations
/// due by a moment (the integral of the rate) and the moment each invocation is due (its inverse) have closed forms:
/// an injector that fell behind catches up, the total is exact, and latency runs from the scheduled moment.
/// </summary>
internal static class Injection
{
    /// <summary>How many invocations are due <paramref name="elapsed"/> into the simulation.</summary>
    public static long DueBy(LoadSimulation simulation, double previous, TimeSpan elapsed) =>
        (long)Math.Floor(Scheduled(simulation, previous, elapsed) + 1e-9);

    /// <summary>The target rate's integral over the first <paramref name="elapsed"/> of the simulation: invocations, not rounded.</summary>
    public static double Scheduled(LoadSimulation simulation, double previous, TimeSpan elapsed)
    {
        var t = Math.Clamp(elapsed.TotalSeconds, 0, simulation.During.TotalSeconds);
        var (r0, slope) = Line(simulation, previous);
        return (r0 * t) + (slope * t * t / 2);
    }

    /// <summary>When invocation <paramref name="index"/> (from 0) is due, from the simulation's start.</summary>
    public static TimeSpan DueAt(LoadSimulation simulation, double previous, long index)
    {
        var (r0, slope) = Line(simulation, previous);
        var n = index + 1.0;
        double seconds;
        if (Math.Abs(slope) < 1e-12)
        {
            seconds = r0 > 0 ? n / r0 : double.MaxValue;
        }
        else
        {
            // slope/2 t^2 + r0 t - n = 0, the positive root.
            var discriminant = (r0 * r0) + (2 * slope * n);
            seconds = discriminant < 0 ? double.MaxValue : (-r0 + Math.Sqrt(discriminant)) / slope;
        }

        return seconds >= simulation.During.TotalSeconds ? simulation.During : TimeSpan.FromSeconds(seconds);
    }

    private static (double Start, double Slope) Line(LoadSimulation simulation, double previous)
    {
        var start = simulation.TargetAt(TimeSpan.Zero, previous);
        var end = simulation.TargetAt(simulation.During, previous);
        return (start, simulation.During > TimeSpan.Zero ? (end - start) / simulation.During.TotalSeconds : 0);
    }
}
