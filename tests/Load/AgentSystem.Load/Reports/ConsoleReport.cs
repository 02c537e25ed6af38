using AgentSystem.Build.Engine;

namespace AgentSystem.Load.Reports;

/// <summary>The tables as plain text for the console (the build's own table renderer, so every target prints alike).</summary>
internal static class ConsoleReport
{
    /// <summary>
    /// The scenarios table's twelve columns of figures are wider than a terminal whatever its prose does: narrower than
    /// this, its errors and reference cells became a column of single words (the new-user walk).
    /// </summary>
    private const int NarrowestProse = 16;

    /// <summary>Each table fitted to <paramref name="width"/> (<see cref="TextTable.TerminalWidth"/>): its cells and headers wrap at spaces.</summary>
    public static IEnumerable<string> Render(LoadReport report, int width)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var table in ReportTables.All(report))
        {
            yield return "";
            yield return table.Title;
            if (table.Note is { } note)
            {
                foreach (var line in TextTable.Wrap(note, width))
                {
                    yield return line;
                }
            }

            var text = new TextTable([.. table.Headers]);
            foreach (var row in table.Rows)
            {
                text.AddRow([.. row]);
            }

            foreach (var line in text.WrapNoNarrowerThan(NarrowestProse).NarrowEvenly().FitTo(width, [.. Wrapped(table)]).Render())
            {
                yield return line;
            }
        }
    }

    /// <summary>
    /// The columns of prose, which wrap: any with a cell of more than two words. Not the first (the scenario or subject a
    /// row is read by), nor a figure with its unit ("44,193 jobs/s", "91.3 %"), nor a column of numbers, whose header would
    /// wrap while its cells stayed short.
    /// </summary>
    private static IEnumerable<int> Wrapped(Table table) =>
        Enumerable.Range(1, table.Headers.Count - 1)
            .Where(column => table.Rows.Any(row => column < row.Count && row[column].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length > 2));
}
