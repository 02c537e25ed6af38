using AgentSystem.Load.UnderTest;

namespace AgentSystem.Load.Reports;

/// <summary>
/// The reports and service logs of the run before, moved to <c>previous/</c> in the output folder when a run starts: an
/// interrupted run used to leave its service logs beside the earlier run's reports, which passed for its own.
/// </summary>
internal static class PreviousRun
{
    public const string Folder = "previous";

    private static readonly string[] Reports = [LoadReport.SummaryFile, LoadReport.MarkdownFile, LoadReport.HtmlFile];

    /// <summary>
    /// Moves the earlier run's files (only those a run writes: the output may be any folder) into previous/, replacing the
    /// run's before that; returns previous/ when there was anything to move.
    /// </summary>
    public static string? SetAside(string output)
    {
        var reports = Reports.Select(name => Path.Combine(output, name)).Where(File.Exists).ToList();
        var logs = Directory.Exists(LoadSystem.ServiceLogsIn(output)) ? Directory.GetFiles(LoadSystem.ServiceLogsIn(output), "*.log") : [];
        if (reports.Count == 0 && logs.Length == 0)
        {
            return null;
        }

        var previous = Path.Combine(output, Folder);
        Directory.CreateDirectory(LoadSystem.ServiceLogsIn(previous));
        foreach (var name in Reports)
        {
            File.Delete(Path.Combine(previous, name));
        }

        foreach (var log in Directory.GetFiles(LoadSystem.ServiceLogsIn(previous), "*.log"))
        {
            File.Delete(log);
        }

        foreach (var report in reports)
        {
            File.Move(report, Path.Combine(previous, Path.GetFileName(report)));
        }

        foreach (var log in logs)
        {
            File.Move(log, Path.Combine(LoadSystem.ServiceLogsIn(previous), Path.GetFileName(log)));
        }

        return previous;
    }

    /// <summary>
    /// The file a baseline is read from once the earlier run is set aside: <c>--baseline artifacts/load/summary.json</c>
    /// (the file this run overwrites) is the earlier run's, now in previous/.
    /// </summary>
    public static string Baseline(string baseline, string output) =>
        string.Equals(Path.GetFullPath(baseline), Path.GetFullPath(Path.Combine(output, LoadReport.SummaryFile)), StringComparison.Ordinal)
            ? Path.Combine(output, Folder, LoadReport.SummaryFile)
            : baseline;
}
