namespace AgentSystem.Build.Engine;

/// <summary>
/// Marks a field or property of the build as a parameter, bound from <c>--kebab-case</c> arguments, then environment
/// variables (<c>Name</c> or <c>NAME_IN_SNAKE_CASE</c>), then <c>.nuke/parameters.json</c>; its initial value is the default.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ParameterAttribute(string description) : Attribute
{
    public string Description { get; } = description;

    /// <summary>The parameter's name when it cannot be the member's (a target of the same name, say).</summary>
    public string? Name { get; init; }

    /// <summary>
    /// What the help and the errors call a value when the member's type says too little: a duration a target hands on
    /// as text, checked by the tool it is for (<see cref="ParameterSet.Duration"/>), or a word for what the text is
    /// ("ref", "file"), as the README names it.
    /// </summary>
    public string? Values { get; init; }
}
