using System.Text;

namespace AgentSystem.Load.Reports;

/// <summary>report.md: the tables, in Markdown, with the machine's load (for a pull request or an issue).</summary>
internal static class MarkdownReport
{
    public static string Render(LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        var summary = report.Summary;
        text.Append("# Load test, ").Append(summary.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture)).Append("\n\n");
        text.Append(summary.Passed ? "All thresholds passed" : "**Thresholds failed**")
            .Append(summary.GoalsVerdict() is { } goals ? $"; {goals}." : ".").Append(' ')
            .Append(summary.Machine.Describe()).Append("\n\n");
        foreach (var result in report.Results)
        {
            text.Append("- **").Append(result.Name).Append("**: ").Append(result.Description).Append(" (").Append(result.Ran).Append(")\n");
            foreach (var (error, count) in result.Errors)
            {
                text.Append("  - error ×").Append(count).Append(": ").Append(error.ReplaceLineEndings(" ")).Append('\n');
            }
        }

        text.Append('\n');
        foreach (var table in ReportTables.All(report))
        {
            text.Append("## ").Append(table.Title).Append("\n\n");
            if (table.Note is { } note)
            {
                text.Append(note).Append("\n\n");
            }

            Row(text, table.Headers);
            Row(text, table.Headers.Select((_, column) => table.IsText(column) ? ":---" : "---:").ToList());
            foreach (var row in table.Rows)
            {
                Row(text, row);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static void Row(StringBuilder text, IReadOnlyList<string> cells) =>
        text.Append("| ").Append(string.Join(" | ", cells.Select(cell => cell.Replace("|", "\\|", StringComparison.Ordinal)))).Append(" |\n");
}
