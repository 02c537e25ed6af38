namespace AgentSystem.Build.Engine;

/// <summary>Prints <c>--plan</c>: the order targets would run in and what each would touch, without running anything.</summary>
internal static class PlanPrinter
{
    /// <param name="width">The terminal's (<see cref="TextTable.TerminalWidth"/>): the skip reasons, dependencies and services wrap to it.</param>
    public static void Print(IReadOnlyList<PlannedTarget> plan, int width)
    {
        var table = new TextTable("#", "Target", "Depends on", "Will", "Services");
        var index = 0;
        foreach (var target in plan)
        {
            var definition = target.Node.Definition;
            var services = target.SkipReason is null && definition.TouchedServices is { } touched ? Describe(touched) : "";
            table.AddRow(
                (++index).ToString(System.Globalization.CultureInfo.InvariantCulture),
                target.Name,
                string.Join(", ", target.Node.Dependencies.Select(d => d.Name)),
                target.SkipReason is null ? "run" : $"skip ({target.SkipReason})",
                services);
        }
        Log.Info("Execution plan (nothing is run):");
        foreach (var line in table.FitTo(width, 3, 2, 4).Render())
        {
            Log.Info(line);
        }
    }

    private static string Describe(Func<IEnumerable<string>> touched)
    {
        var services = touched().ToList();
        return services.Count == 0 ? "(none)" : string.Join(", ", services);
    }
}
