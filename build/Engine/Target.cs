namespace AgentSystem.Build.Engine;

/// <summary>A target, declared NUKE-style as <c>Target Compile => _ => _.DependsOn(Restore).Executes(...)</c>.</summary>
public delegate ITargetDefinition Target(ITargetDefinition definition);

public interface ITargetDefinition
{
    ITargetDefinition Description(string text);
    ITargetDefinition DependsOn(params Target[] targets);
    ITargetDefinition DependentFor(params Target[] targets);
    ITargetDefinition After(params Target[] targets);
    ITargetDefinition Before(params Target[] targets);
    ITargetDefinition Triggers(params Target[] targets);
    ITargetDefinition TriggeredBy(params Target[] targets);

    /// <summary>Checked when the plan is made: when false the target and the dependencies only it needs are skipped.</summary>
    ITargetDefinition OnlyWhenStatic(Func<bool> condition, string because);

    /// <summary>The same, with a reason that reads the parameters (bound after the targets are defined).</summary>
    ITargetDefinition OnlyWhenStatic(Func<bool> condition, Func<string> because);

    /// <summary>Checked right before the target would run.</summary>
    ITargetDefinition OnlyWhenDynamic(Func<bool> condition, string because);

    /// <summary>
    /// Runs when one of the target's conditions skips it (not <c>--skip</c>, which keeps what an earlier run made on
    /// purpose): to remove an earlier run's output that would otherwise pass for this run's.
    /// </summary>
    ITargetDefinition WhenSkipped(Action action);

    /// <summary>
    /// It builds or deletes what the checkout's bin/, obj/ or artifacts/ hold: another build running in the same checkout
    /// is warned about (<see cref="RunningBuilds"/>).
    /// </summary>
    ITargetDefinition WritesOutputs();

    /// <summary>Fails the build before anything runs when the parameter has no value.</summary>
    ITargetDefinition Requires(System.Linq.Expressions.Expression<Func<object?>> parameter);

    /// <summary>
    /// Parameters that only this target and others naming them read: given on the command line to a run in which none
    /// of those targets runs, one changes nothing, and a warning says so instead of letting it pass silently.
    /// </summary>
    ITargetDefinition Reads(params System.Linq.Expressions.Expression<Func<object?>>[] parameters);

    /// <summary>
    /// Checked when the plan is made, for a target that will run or is named on the command line: every problem returned
    /// (a parameter's value that the target's tool would reject) fails the build before anything runs.
    /// </summary>
    ITargetDefinition Validates(Func<IEnumerable<string>> problems);

    /// <summary>The services this target works on, shown by <c>--plan</c>.</summary>
    ITargetDefinition Touches(Func<IEnumerable<string>> services);

    /// <summary>Why the target runs (what it will test, or that it has nothing to do), shown by <c>--plan</c>; null: nothing to add.</summary>
    ITargetDefinition RunsBecause(Func<string?> reason);

    /// <summary>Keep the build going after this target fails (targets that depend on it still do not run).</summary>
    ITargetDefinition ProceedAfterFailure();

    ITargetDefinition Executes(Action action);
    ITargetDefinition Executes(Func<CancellationToken, Task> action);
}
