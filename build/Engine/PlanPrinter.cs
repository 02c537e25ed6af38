namespace AgentSystem.Build.Engine;

/// <summary>Prints <c>--plan</c>: the order targets would run in and what each would touch, without running anything.</summary>
internal static class PlanPrinter
{
    /// <param name="width">The terminal's (<see cref="TextTable.TerminalWidth"/>): the skip reasons, dependencies and services wrap to it.</param>
    /// <param name="known">Every service (read only when a target touches some): a target touching them all shows "all N", not the same list wrapped on every row.</param>
    public static void Print(IReadOnlyList<PlannedTarget> plan, int width, Lazy<IReadOnlyCollection<string>> known)
    {
        var table = new TextTable("#", "Target", "Depends on", "Will", "Services");
        // A skipped target's dependencies (by a static condition or --skip NAMES) are left out of the plan unless another
        // target needs them; listed, they would name targets that are no row of it.
        var planned = plan.Select(static target => target.Node).ToHashSet();
        var index = 0;
        foreach (var target in plan)
        {
            var definition = target.Node.Definition;
            var services = target.SkipReason is null && definition.TouchedServices is { } touched ? Describe(touched, known) : "";
            table.AddRow(
                (++index).ToString(System.Globalization.CultureInfo.InvariantCulture),
                target.Name,
                string.Join(", ", target.Node.Dependencies.Where(planned.Contains).Select(d => d.Name)),
                target.SkipReason is not null ? $"skip ({target.SkipReason})"
                    : (definition.RunReason?.Invoke() ?? NeededBy(target, plan)) is { } reason ? $"run ({reason})"
                    : "run",
                services);
        }
        Log.Info("Execution plan (nothing is run):");
        foreach (var line in table.FitTo(width, 3, 2, 4).Render())
        {
            Log.Info(line);
        }
    }

    /// <summary>
    /// Why a target with no reason of its own runs: the targets of the plan that run and need it. A target named on the
    /// command line (nothing needs it) reads "run".
    /// </summary>
    private static string? NeededBy(PlannedTarget target, IReadOnlyList<PlannedTarget> plan)
    {
        var neededBy = plan.Where(other => other.SkipReason is null && other.Node.Dependencies.Contains(target.Node)).Select(static other => other.Name).ToList();
        return neededBy.Count == 0 ? null : $"for {string.Join(", ", neededBy)}";
    }

    private static string Describe(Func<IEnumerable<string>> touched, Lazy<IReadOnlyCollection<string>> known)
    {
        var services = touched().ToList();
        if (services.Count == 0)
        {
            return "(none)";
        }

        // Every known service, and what is not one (the build's "shared" entry) after it.
        var all = known.Value;
        if (all.Count > 1 && all.All(services.Contains))
        {
            var others = services.Where(s => !all.Contains(s)).ToList();
            return others.Count == 0 ? $"all {all.Count}" : $"all {all.Count}, {string.Join(", ", others)}";
        }

        return string.Join(", ", services);
    }
}
