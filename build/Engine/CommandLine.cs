namespace AgentSystem.Build.Engine;

/// <summary>The arguments of one invocation: positional targets, then <c>--name [values]</c> options.</summary>
internal sealed class CommandLine
{
    public List<string> Targets { get; } = [];

    /// <summary>Options in the order given, names in kebab-case without the dashes, values as written.</summary>
    public Dictionary<string, List<string>> Options { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The arguments as given: messages show them rearranged.</summary>
    public IReadOnlyList<string> Arguments { get; private init; } = [];

    /// <summary>
    /// Each option value that is an argument of its own (not <c>--name=value</c>): its option, its place among the option's
    /// values and among <see cref="Arguments"/>. Such a value may be a target placed after the options.
    /// </summary>
    public List<(string Option, int Position, int Index)> SeparateValues { get; } = [];

    public bool Has(string name) => Options.ContainsKey(name);

    public static CommandLine Parse(IEnumerable<string> args)
    {
        var result = new CommandLine { Arguments = [.. args] };
        string? option = null;
        List<string>? current = null;
        for (var index = 0; index < result.Arguments.Count; index++)
        {
            var arg = result.Arguments[index];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2 || arg is "-h" or "-?")
            {
                var text = arg is "-h" or "-?" ? "help" : arg[2..];
                var eq = text.IndexOf('=', StringComparison.Ordinal);
                option = eq < 0 ? text : text[..eq];
                if (!result.Options.TryGetValue(option, out current))
                {
                    result.Options[option] = current = [];
                }

                if (eq >= 0)
                {
                    current.Add(text[(eq + 1)..]);
                }
            }
            else if (current is null)
            {
                result.Targets.Add(arg);
            }
            else
            {
                result.SeparateValues.Add((option!, current.Count, index));
                current.Add(arg);
            }
        }
        return result;
    }
}
