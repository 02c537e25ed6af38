using AgentSystem.Load.UnderTest;

namespace AgentSystem.Load.Reports;

/// <summary>
/// The run before's reports and service logs, moved to <c>previous/</c> in the output folder when a run starts: an
/// interrupted run used to leave its service logs beside the earlier run's reports, which passed for its own. previous/
/// holds one whole run: a run before that was interrupted (logs, no summary) is not set aside, only its logs removed.
/// </summary>
internal static class PreviousRun
{
    private static readonly string[] Reports = [LoadReport.SummaryFile, LoadReport.MarkdownFile, LoadReport.HtmlFile, LoadReport.ReferenceCommandsFile];

    /// <summary>
    /// Moves the run before's files (only those a run writes: the output may be any folder) into previous/, replacing the
    /// run's before that; returns previous/ when that run finished (wrote its summary), else how many of its logs went.
    /// </summary>
    public static (string? Previous, int InterruptedLogs) SetAside(string output)
    {
        var logFolder = LoadSystem.ServiceLogsIn(output);
        var logs = Directory.Exists(logFolder) ? Directory.GetFiles(logFolder, "*.log") : [];
        if (!File.Exists(Path.Combine(output, LoadReport.SummaryFile)))
        {
            // Interrupted (or none): its logs alone would pass for this run's, and previous/ keeps the last whole run.
            foreach (var log in logs)
            {
                File.Delete(log);
            }

            return (null, logs.Length);
        }

        var previous = Path.Combine(output, LoadArguments.PreviousFolder);
        Directory.CreateDirectory(LoadSystem.ServiceLogsIn(previous));
        foreach (var stale in Reports.Select(name => Path.Combine(previous, name)).Concat(Directory.GetFiles(LoadSystem.ServiceLogsIn(previous), "*.log")))
        {
            File.Delete(stale);
        }

        foreach (var report in Reports.Select(name => Path.Combine(output, name)).Where(File.Exists))
        {
            File.Move(report, Path.Combine(previous, Path.GetFileName(report)));
        }

        foreach (var log in logs)
        {
            File.Move(log, Path.Combine(LoadSystem.ServiceLogsIn(previous), Path.GetFileName(log)));
        }

        return (previous, 0);
    }
}
