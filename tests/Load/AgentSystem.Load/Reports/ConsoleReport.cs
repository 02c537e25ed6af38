using AgentSystem.Build.Engine;

namespace AgentSystem.Load.Reports;

/// <summary>The tables as plain text for the console (the build's own table renderer, so every target prints alike).</summary>
internal static class ConsoleReport
{
    public static IEnumerable<string> Render(LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var table in ReportTables.All(report))
        {
            yield return "";
            yield return table.Title;
            var text = new TextTable([.. table.Headers]);
            foreach (var row in table.Rows)
            {
                text.AddRow([.. row]);
            }

            foreach (var line in text.Render())
            {
                yield return line;
            }
        }
    }
}
