using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Reports;

/// <summary>Everything one run produced, from which each report is written; <see cref="Baseline"/> with <c>--baseline</c>.</summary>
internal sealed record LoadReport(Summary Summary, IReadOnlyList<ScenarioResult> Results, BaselineComparison? Baseline)
{
    public const string SummaryFile = LoadArguments.SummaryFile;
    public const string MarkdownFile = "report.md";
    public const string HtmlFile = "report.html";

    /// <summary>The references' command lines, to run again by hand (helper-139 had to read them from the code).</summary>
    public const string ReferenceCommandsFile = "reference-commands.sh";

    /// <summary>Writes summary.json, report.md, report.html and the references' command lines into <paramref name="folder"/>; returns their paths.</summary>
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
        if (ReferenceCommands(Summary.Reference) is { } commands)
        {
            Write(ReferenceCommandsFile, commands);
        }
        return files;
    }

    /// <summary>Each reference row's command line under a comment naming the row; null when none ran here.</summary>
    internal static string? ReferenceCommands(ReferenceSummary reference)
    {
        var rows = reference.RedisBenchmark.Concat(reference.Wrk).Where(row => row.CommandLine is not null).ToList();
        return rows.Count == 0
            ? null
            : "#!/bin/sh\n# The reference rows of the load run beside this file, as they ran (the scripts must be loaded: their SHA-1 is their text's).\n"
                + string.Concat(rows.Select(row => $"\n# {row.Name}\n{row.CommandLine}\n"));
    }
}
