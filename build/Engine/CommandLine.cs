namespace AgentSystem.Build.Engine;

/// <summary>The arguments of one invocation: positional targets, then <c>--name [values]</c> options.</summary>
internal sealed class CommandLine
{
    public List<string> Targets { get; } = [];

    /// <summary>Options in the order given, names in kebab-case without the dashes, values as written.</summary>
    public Dictionary<string, List<string>> Options { get; } = new(StringComparer.OrdinalIgnoreCase);

    public bool Has(string name) => Options.ContainsKey(name);

    public static CommandLine Parse(IEnumerable<string> args)
    {
        var result = new CommandLine();
        List<string>? current = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2 || arg is "-h" or "-?")
            {
                var text = arg is "-h" or "-?" ? "help" : arg[2..];
                var eq = text.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? text : text[..eq];
                if (!result.Options.TryGetValue(name, out current))
                {
                    result.Options[name] = current = [];
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
                current.Add(arg);
            }
        }
        return result;
    }
}
