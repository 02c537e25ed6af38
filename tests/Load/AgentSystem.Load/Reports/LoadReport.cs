using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Reports;

/// <summary>Everything one run produced, from which each report is written; <see cref="Baseline"/> with <c>--baseline</c>.</summary>
internal sealed record LoadReport(Summary Summary, IReadOnlyList<ScenarioResult> Results, BaselineComparison? Baseline)
{
    public const string SummaryFile = LoadArguments.SummaryFile;
    public const string MarkdownFile = "report.md";
    public const string HtmlFile = "report.html";

    /// <summary>Writes summary.json, report.md and report.html into <paramref name="folder"/>; returns their paths.</summary>
    public IReadOnlyList<string> WriteAll(string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        void Write(string name, string content)
        {
            var path = Path.Combine(folder, name);
            File.WriteAllText(path, content);
            files.Add(path);
        }

        Write(SummaryFile, Summary.ToJson());
        Write(MarkdownFile, MarkdownReport.Render(this));
        Write(HtmlFile, HtmlReport.Render(this));
        return files;
    }
}
