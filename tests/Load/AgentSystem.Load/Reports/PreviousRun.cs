using AgentSystem.Load.UnderTest;

namespace AgentSystem.Load.Reports;

/// <summary>
/// The run before's reports and service logs, moved to <c>previous/</c> in the output folder when a run starts: an
/// interrupted run used to leave its service logs beside the earlier run's reports, which passed for its own. previous/
/// holds one whole run: the logs of a run before that wrote no summary (interrupted, or failed before its phases) go to
/// <c>interrupted/</c> instead, where they are kept until the next such run (helper-139: deleted, they were what said why).
/// </summary>
internal static class PreviousRun
{
    private static readonly string[] Reports = [LoadReport.SummaryFile, LoadReport.MarkdownFile, LoadReport.HtmlFile, LoadReport.ReferenceCommandsFile];

    /// <summary>
    /// Moves the run before's files (only those a run writes: the output may be any folder) into previous/, replacing the
    /// run's before that; returns previous/ when that run finished (wrote its summary), else how many of its logs went to
    /// interrupted/ and when the last was written (interrupted/ may be older than previous/: it is replaced only by the
    /// next run that leaves logs and no report).
    /// </summary>
    public static (string? Previous, (int Logs, DateTime LastWrite)? Interrupted) SetAside(string output)
    {
        var logFolder = LoadSystem.ServiceLogsIn(output);
        var logs = Directory.Exists(logFolder) ? Directory.GetFiles(logFolder, "*.log") : [];
        if (!File.Exists(Path.Combine(output, LoadReport.SummaryFile)))
        {
            // Its logs alone would pass for this run's, and previous/ keeps the last whole run.
            if (logs.Length == 0)
            {
                return (null, null);
            }

            var lastWrite = logs.Max(File.GetLastWriteTimeUtc);
            MoveInto(Path.Combine(output, LoadArguments.InterruptedFolder), reports: null, logs);
            return (null, (logs.Length, lastWrite));
        }

        var previous = Path.Combine(output, LoadArguments.PreviousFolder);
        MoveInto(previous, [.. Reports.Select(name => Path.Combine(output, name)).Where(File.Exists)], logs);
        return (previous, null);
    }

    /// <summary>
    /// Empties <paramref name="folder"/> of the service logs, and of the reports when <paramref name="reports"/> are given
    /// (none is ever moved into interrupted/, so a file of that name there is not the harness's), then moves them in.
    /// </summary>
    private static void MoveInto(string folder, string[]? reports, string[] logs)
    {
        var logsTo = LoadSystem.ServiceLogsIn(folder);
        Directory.CreateDirectory(logsTo);
        var stale = Directory.GetFiles(logsTo, "*.log").AsEnumerable();
        if (reports is not null)
        {
            stale = stale.Concat(Reports.Select(name => Path.Combine(folder, name)));
        }

        foreach (var file in stale)
        {
            File.Delete(file);
        }

        foreach (var report in reports ?? [])
        {
            File.Move(report, Path.Combine(folder, Path.GetFileName(report)));
        }

        foreach (var log in logs)
        {
            File.Move(log, Path.Combine(logsTo, Path.GetFileName(log)));
        }
    }
}
