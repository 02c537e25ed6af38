using System.Diagnostics;
using System.Globalization;

namespace AgentSystem.Build.Engine;

/// <summary><see cref="Stopped"/>: ended as asked by Ctrl+C or SIGTERM, the normal end of a target that runs until stopped (Dev).</summary>
public enum TargetStatus { Succeeded, Failed, Skipped, NotRun, Aborted, Stopped }

/// <param name="UsageError">Failed because it was called wrongly (a <see cref="UsageException"/>), not because its work failed.</param>
internal sealed record TargetOutcome(string Name, TargetStatus Status, TimeSpan Duration, string? Note, bool UsageError = false);

/// <summary>
/// Runs a plan target by target, with a header for each and a summary table at the end, fitted to
/// <paramref name="width"/> (<see cref="TextTable.TerminalWidth"/>).
/// </summary>
internal sealed class TargetRunner(BuildBase build, bool continueOnFailure, int width, CancellationToken cancellationToken)
{
    private const string CancelledNote = "cancelled";

    public List<TargetOutcome> Outcomes { get; } = [];

    public int Run(IReadOnlyList<PlannedTarget> plan)
    {
        var total = Stopwatch.StartNew();
        var failed = new HashSet<TargetNode>();
        string? stoppedAfter = null;   // the failure that stops the rest (none with --continue)
        foreach (var target in plan)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Outcomes.Add(new(target.Name, TargetStatus.NotRun, TimeSpan.Zero, CancelledNote));
                continue;
            }
            if (target.SkipReason is not null)
            {
                // After a failure has stopped the build, its tidying waits for a run that gets that far: a failed deploy
                // preflight removed an earlier run's images.json though no image was built (helper-122).
                Outcomes.Add(Skipped(target.Node, target.SkipReason, target.SkippedByCondition && stoppedAfter is null));
                continue;
            }
            // A target below a failed one (directly or through one that did not run) fails with it, --continue or not.
            if (target.Node.Dependencies.FirstOrDefault(failed.Contains) is { } failedDependency)
            {
                failed.Add(target.Node);
                Outcomes.Add(new(target.Name, TargetStatus.NotRun, TimeSpan.Zero, $"{failedDependency.Name} failed"));
                continue;
            }
            if (stoppedAfter is not null)
            {
                Outcomes.Add(new(target.Name, TargetStatus.NotRun, TimeSpan.Zero, ContinueNote(target.Node, plan, failed) ?? $"stopped after {stoppedAfter} failed (--continue runs it)"));
                continue;
            }

            var outcome = RunOne(target.Node);
            Outcomes.Add(outcome);
            if (outcome.Status is TargetStatus.Failed or TargetStatus.Aborted)
            {
                failed.Add(target.Node);
                if (outcome.Status == TargetStatus.Aborted || !(continueOnFailure || target.Node.Definition.ContinuesAfterFailure))
                {
                    stoppedAfter = target.Name;
                }
            }
        }
        total.Stop();
        return Summarize(total.Elapsed);
    }

    /// <summary>
    /// Why a target --continue would run for nothing is not run: every requested target that needs it needs a failed one
    /// too (helper-133: after a deploy's preflight failed, the images were offered to a deploy that cannot run); else null.
    /// </summary>
    private string? ContinueNote(TargetNode target, IReadOnlyList<PlannedTarget> plan, HashSet<TargetNode> failed)
    {
        var needers = plan.Select(p => p.Node).Where(n => build.RequestedTargets.Contains(n.Name) && Needs(n, target)).ToList();
        return build.RequestedTargets.Contains(target.Name) || needers.Count == 0 || needers.Any(n => !failed.Any(f => Needs(n, f)))
            ? null
            : $"stopped: only for {string.Join(", ", needers.Select(n => n.Name))}, which cannot run";
    }

    private static bool Needs(TargetNode node, TargetNode dependency) =>
        node.Dependencies.Any(d => d == dependency || Needs(d, dependency));

    private TargetOutcome RunOne(TargetNode node)
    {
        var definition = node.Definition;
        var unmet = definition.DynamicConditions.FirstOrDefault(c => !c.Condition());
        if (unmet.Condition is not null)
        {
            return Skipped(node, $"condition: {unmet.Because}", tidy: true);
        }

        Log.Highlight("");
        Log.Highlight($"═══ {node.Name} {new string('═', Math.Max(3, 60 - node.Name.Length))}");
        var watch = Stopwatch.StartNew();
        try
        {
            foreach (var action in definition.Actions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                action(cancellationToken).GetAwaiter().GetResult();
            }
            // Returning after an interrupt is no proof the work was done: only a TargetStoppedException says so.
            cancellationToken.ThrowIfCancellationRequested();
            return new(node.Name, TargetStatus.Succeeded, watch.Elapsed, null);
        }
        catch (TargetStoppedException e) when (e.Failure is null)
        {
            return new(node.Name, TargetStatus.Stopped, watch.Elapsed, e.Message);
        }
        catch (TargetStoppedException e)
        {
            Log.Error(e.Failure!);
            return new(node.Name, TargetStatus.Failed, watch.Elapsed, e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.Warning($"{node.Name} was interrupted.");
            return new(node.Name, TargetStatus.Aborted, watch.Elapsed, "interrupted");
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested)
        {
            Log.Warning($"{node.Name} was interrupted ({e.Message}).");
            return new(node.Name, TargetStatus.Aborted, watch.Elapsed, "interrupted");
        }
        catch (Exception e) when (e is ToolFailedException or TargetFailedException or UsageException)
        {
            Log.Error(e.Message);
            return new(node.Name, TargetStatus.Failed, watch.Elapsed, (e as TargetFailedException)?.Note ?? e.Message, e is UsageException);
        }
        catch (Exception e)
        {
            Log.Error(e.ToString());
            return new(node.Name, TargetStatus.Failed, watch.Elapsed, e.Message);
        }
    }

    /// <summary>
    /// With <paramref name="tidy"/> (a skip by a condition, in a build still going), the target's <see
    /// cref="ITargetDefinition.WhenSkipped"/> actions run: tidying, so one that fails is a warning, not the target's failure.
    /// </summary>
    private static TargetOutcome Skipped(TargetNode node, string reason, bool tidy)
    {
        foreach (var action in tidy ? node.Definition.SkipActions : [])
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.Warning($"{node.Name} is skipped, and what an earlier run of it left could not be removed: {e.Message}");
            }
        }

        return new(node.Name, TargetStatus.Skipped, TimeSpan.Zero, reason);
    }

    /// <summary>
    /// A note's first line: the whole of a tool's multi-line error, printed in full where it failed, made the summary's
    /// note column 1,857 characters wide (a failed kind create in the new-user walk).
    /// </summary>
    private static string SummaryNote(string? note) =>
        note?.Split('\n', 2) is [var first, _] ? $"{first.TrimEnd()} (more above)" : note ?? "";

    private int Summarize(TimeSpan elapsed)
    {
        var table = new TextTable("Target", "Status", "Duration", "Note");
        foreach (var outcome in Outcomes)
        {
            table.AddRow(outcome.Name, outcome.Status.ToString(), Format(outcome.Duration), SummaryNote(outcome.Note));
        }

        Log.Info("");
        foreach (var line in table.FitTo(width, 3).Render())
        {
            Log.Info(line);
        }

        Log.Info(new string('─', 40));
        Log.Info($"Total {Format(elapsed)}");

        var exitCode = 0;
        var stopped = Outcomes.Where(o => o.Status == TargetStatus.Stopped).Select(o => o.Name).ToList();
        // An interrupt is a cancellation when it left work undone; one that ends a target as it is meant to end is not.
        if (Outcomes.Any(o => o.Status == TargetStatus.Aborted || o is { Status: TargetStatus.NotRun, Note: CancelledNote }))
        {
            var interrupted = Outcomes.Where(o => o.Status == TargetStatus.Aborted).Select(o => o.Name);
            Log.Warning($"Build cancelled (interrupted: {string.Join(", ", interrupted.DefaultIfEmpty("nothing running"))}).");
            exitCode = BuildHost.CancelledExitCode;
        }
        else if (Outcomes.Any(o => o.Status == TargetStatus.Failed))
        {
            var failures = Outcomes.Where(o => o.Status == TargetStatus.Failed).ToList();
            Log.Error($"Build failed: {string.Join(", ", failures.Select(o => o.Name))}.");
            // A usage error found only once its target ran (an option combination it cannot take) is still one.
            exitCode = failures.All(o => o.UsageError) ? BuildHost.UsageExitCode : 1;
        }
        else if (stopped.Count > 0)
        {
            Log.Success($"Build stopped as asked: {string.Join(", ", stopped)} ran until stopped.");
        }
        else
        {
            Log.Success("Build succeeded.");
        }
        foreach (var line in build.ClosingLines)
        {
            Log.Info(line);
        }

        return exitCode;
    }

    private static string Format(TimeSpan duration) =>
        duration == TimeSpan.Zero ? "–" : duration.ToString(duration.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss\.f", CultureInfo.InvariantCulture);
}

/// <summary>
/// Thrown by a target that runs until it is stopped (Dev) once Ctrl+C or SIGTERM stopped it and it cleaned up: its
/// normal end, not a cancellation. <paramref name="message"/> is the summary table's note; <paramref name="failure"/>,
/// when given, says what went wrong while it stopped, and the target fails with it.
/// </summary>
public sealed class TargetStoppedException(string message, string? failure = null) : Exception(message)
{
    public string? Failure { get; } = failure;
}

/// <summary>Thrown by a target to fail with a message and no stack trace; <paramref name="note"/>, when given, is the summary table's short note.</summary>
public sealed class TargetFailedException(string message, string? note = null) : Exception(message)
{
    public string Note { get; } = note ?? message;
}
