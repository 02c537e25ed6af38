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

    /// <summary>
    /// Each reference row's command line under a comment naming the row, then what the run did after it (the keys a
    /// depth's rows filled, removed: helper-145's third pass by hand found 806 MB left by the two before); null when none
    /// ran here.
    /// </summary>
    internal static string? ReferenceCommands(ReferenceSummary reference)
    {
        string Row(ReferenceResult row, string? note) =>
            $"\n# {row.Name}\n{(note is null ? "" : $"# {note}\n")}{row.CommandLine}\n"
            + (row.Then is { } then ? $"# the keys of the rows above removed, as the run removed them\n{then}\n" : "");

        var rows = reference.RedisBenchmark.Where(row => row.CommandLine is not null).Select(row => Row(row, null))
            .Concat(reference.Wrk.Where(row => row.CommandLine is not null).Select(row => Row(row, WrkNote)))
            .ToList();
        return rows.Count == 0
            ? null
            : "#!/bin/sh\n# The reference rows of the load run beside this file, as they ran (the scripts must be loaded: their SHA-1 is their text's).\n"
                + string.Concat(rows);
    }

    /// <summary>helper-145: the wrk row failed by hand ("Connection refused"), the gateway it measured long gone.</summary>
    internal const string WrkNote = "against the run's own gateway, which the run stops at its end (--keep-containers keeps PostgreSQL and Redis only): "
        + "give it a gateway that runs, ./build.sh Dev's on http://127.0.0.1:8080/healthz say";
}
