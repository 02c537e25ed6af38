using System.Linq.Expressions;

namespace AgentSystem.Build.Engine;

/// <summary>What one target declared; target references stay delegates until <see cref="TargetGraph"/> names them.</summary>
internal sealed class TargetDefinition(string name) : ITargetDefinition
{
    public string Name { get; } = name;
    public string? DescriptionText { get; private set; }
    public List<Target> DependsOnTargets { get; } = [];
    public List<Target> DependentForTargets { get; } = [];
    public List<Target> AfterTargets { get; } = [];
    public List<Target> BeforeTargets { get; } = [];
    public List<Target> TriggersTargets { get; } = [];
    public List<Target> TriggeredByTargets { get; } = [];
    public List<(Func<bool> Condition, Func<string> Because)> StaticConditions { get; } = [];
    public List<(Func<bool> Condition, string Because)> DynamicConditions { get; } = [];
    public List<(string Name, Func<object?> Value)> RequiredParameters { get; } = [];
    public List<string> ReadParameters { get; } = [];
    public List<Func<IEnumerable<string>>> Validations { get; } = [];
    public Func<IEnumerable<string>>? TouchedServices { get; private set; }
    public Func<string?>? RunReason { get; private set; }
    public bool ContinuesAfterFailure { get; private set; }
    public bool Writes { get; private set; }
    public List<Func<CancellationToken, Task>> Actions { get; } = [];
    public List<Action> SkipActions { get; } = [];

    public ITargetDefinition Description(string text) { DescriptionText = text; return this; }
    public ITargetDefinition DependsOn(params Target[] targets) { DependsOnTargets.AddRange(targets); return this; }
    public ITargetDefinition DependentFor(params Target[] targets) { DependentForTargets.AddRange(targets); return this; }
    public ITargetDefinition After(params Target[] targets) { AfterTargets.AddRange(targets); return this; }
    public ITargetDefinition Before(params Target[] targets) { BeforeTargets.AddRange(targets); return this; }
    public ITargetDefinition Triggers(params Target[] targets) { TriggersTargets.AddRange(targets); return this; }
    public ITargetDefinition TriggeredBy(params Target[] targets) { TriggeredByTargets.AddRange(targets); return this; }
    public ITargetDefinition OnlyWhenStatic(Func<bool> condition, string because) => OnlyWhenStatic(condition, () => because);
    public ITargetDefinition OnlyWhenStatic(Func<bool> condition, Func<string> because) { StaticConditions.Add((condition, because)); return this; }
    public ITargetDefinition OnlyWhenDynamic(Func<bool> condition, string because) { DynamicConditions.Add((condition, because)); return this; }
    public ITargetDefinition WhenSkipped(Action action) { SkipActions.Add(action); return this; }
    public ITargetDefinition Touches(Func<IEnumerable<string>> services) { TouchedServices = services; return this; }
    public ITargetDefinition RunsBecause(Func<string?> reason) { RunReason = reason; return this; }
    public ITargetDefinition ProceedAfterFailure() { ContinuesAfterFailure = true; return this; }
    public ITargetDefinition WritesOutputs() { Writes = true; return this; }
    public ITargetDefinition Validates(Func<IEnumerable<string>> problems) { Validations.Add(problems); return this; }

    public ITargetDefinition Requires(Expression<Func<object?>> parameter)
    {
        RequiredParameters.Add((MemberName(parameter), parameter.Compile()));
        return this;
    }

    public ITargetDefinition Reads(params Expression<Func<object?>>[] parameters)
    {
        ReadParameters.AddRange(parameters.Select(MemberName));
        return this;
    }

    /// <summary>The field or property a parameter expression names (<c>() => Duration</c>: Duration).</summary>
    private static string MemberName(Expression<Func<object?>> parameter)
    {
        var body = parameter.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : parameter.Body;
        return body is MemberExpression member ? member.Member.Name : body.ToString();
    }

    public ITargetDefinition Executes(Action action)
    {
        Actions.Add(_ => { action(); return Task.CompletedTask; });
        return this;
    }

    public ITargetDefinition Executes(Func<CancellationToken, Task> action) { Actions.Add(action); return this; }
}
