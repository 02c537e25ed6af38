using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace AgentSystem.Build.Engine;

internal sealed record BuildParameter(MemberInfo Member, string DeclaredName, string Description, string? Values = null)
{
    public string Name => DeclaredName.TrimStart('_');
    public string CliName => Naming.ToKebabCase(Name);
    public string EnvironmentName => Naming.ToScreamingSnakeCase(Name);
    public Type Type => Member is FieldInfo f ? f.FieldType : ((PropertyInfo)Member).PropertyType;
    public Type ValueType => Nullable.GetUnderlyingType(Type) ?? Type;
    public bool IsSwitch => ValueType == typeof(bool);

    public object? GetValue(object build) => Member is FieldInfo f ? f.GetValue(build) : ((PropertyInfo)Member).GetValue(build);

    public void SetValue(object build, object? value)
    {
        if (Member is FieldInfo f)
        {
            f.SetValue(build, value);
        }
        else
        {
            ((PropertyInfo)Member).SetValue(build, value);
        }
    }
}

/// <summary>The build's parameters and how they get their values.</summary>
internal sealed class ParameterSet
{
    public IReadOnlyList<BuildParameter> Parameters { get; }

    private ParameterSet(IReadOnlyList<BuildParameter> parameters) => Parameters = parameters;

    public BuildParameter? Find(string cliName) =>
        Parameters.FirstOrDefault(p => string.Equals(p.CliName, cliName, StringComparison.OrdinalIgnoreCase) ||
                                       string.Equals(p.Name, cliName, StringComparison.OrdinalIgnoreCase));

    public static ParameterSet Of(Type buildType)
    {
        var parameters = new List<BuildParameter>();
        for (var type = buildType; type is not null && type != typeof(object); type = type.BaseType)
        {
            var members = type.GetMembers(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(m => m is FieldInfo or PropertyInfo)
                .OrderBy(m => m.MetadataToken);
            foreach (var member in members)
            {
                if (member.GetCustomAttribute<ParameterAttribute>() is not { } attribute)
                {
                    continue;
                }
                // A get-only auto-property is set through its backing field, as a readonly field is.
                var settable = member is PropertyInfo { CanWrite: false } property
                    ? type.GetField($"<{property.Name}>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)
                      ?? throw new BuildConfigurationException($"Parameter {member.Name} must be a field or an auto-property.")
                    : member;
                parameters.Add(new BuildParameter(settable, attribute.Name ?? member.Name, attribute.Description, attribute.Values));
            }
        }
        return new ParameterSet(parameters);
    }

    /// <summary>
    /// Binds every parameter: command line first, then environment, then the parameters file. Returns where each given
    /// one came from ("--duration", "environment variable DURATION"), by parameter name, for messages about its value.
    /// </summary>
    public IReadOnlyDictionary<string, string> Bind(object build, CommandLine commandLine, IReadOnlyDictionary<string, string> environment, JsonElement? parametersFile)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in Parameters)
        {
            if (commandLine.Options.TryGetValue(parameter.CliName, out var values) ||
                commandLine.Options.TryGetValue(parameter.Name, out values))
            {
                var source = $"--{parameter.CliName}";
                parameter.SetValue(build, Convert(parameter, Given(parameter, values, source), source));
                sources[parameter.Name] = source;
            }
            else if (FindEnvironment(environment, parameter) is { } fromEnvironment)
            {
                var source = $"environment variable {fromEnvironment.Key}";
                parameter.SetValue(build, Convert(parameter, Given(parameter, [fromEnvironment.Value], source), source));
                sources[parameter.Name] = source;
            }
            else if (parametersFile is { ValueKind: JsonValueKind.Object } file && FindJson(file, parameter) is { } json)
            {
                var source = $"{BuildPaths.ParametersFileName} ({parameter.Name})";
                parameter.SetValue(build, Convert(parameter, JsonValues(json), source));
                sources[parameter.Name] = source;
            }
        }

        return sources;
    }

    private static KeyValuePair<string, string>? FindEnvironment(IReadOnlyDictionary<string, string> environment, BuildParameter parameter)
    {
        foreach (var key in new[] { parameter.EnvironmentName, parameter.Name })
        {
            if (environment.TryGetValue(key, out var value) && value.Length > 0)
            {
                return new(key, value);
            }
        }
        return null;
    }

    private static JsonElement? FindJson(JsonElement file, BuildParameter parameter)
    {
        foreach (var property in file.EnumerateObject())
        {
            if (string.Equals(property.Name, parameter.Name, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(property.Name, parameter.CliName, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }
        return null;
    }

    private static List<string> JsonValues(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Array => json.EnumerateArray().Select(e => e.ToString()).ToList(),
        JsonValueKind.Null => [],
        _ => [json.ToString()],
    };

    /// <summary>
    /// The values given on the command line or in a variable: a list parameter also takes "a,b" (in one argument or one
    /// variable), other values are taken whole. A list given with no names (<c>--service</c> alone, or
    /// <c>--scenarios ,</c>) is a mistake, not "every one": it used to select everything without a word.
    /// </summary>
    private static List<string> Given(BuildParameter parameter, IEnumerable<string> given, string source)
    {
        if (!parameter.ValueType.IsArray)
        {
            return [.. given];
        }

        var items = given.Select(value => (Value: value, Items: value.Split(',', StringSplitOptions.TrimEntries))).ToList();
        List<string> values = [.. items.SelectMany(v => v.Items).SelectMany(item => item.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
        if (values.Count == 0)
        {
            throw new UsageException($"{source} needs a value ({Describe(parameter)}).");
        }

        // "a,,b" or "a," more likely lost a name (an empty variable in a script) than meant two.
        return items.FirstOrDefault(v => v.Items.Length > 1 && v.Items.Contains("")) is { Value: { } gap }
            ? throw new UsageException($"{source} '{gap}': an empty name in the list ({Describe(parameter)}).")
            : values;
    }

    public static object? Convert(BuildParameter parameter, IReadOnlyList<string> values, string source)
    {
        var type = parameter.ValueType;
        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var array = Array.CreateInstance(element, values.Count);
            for (var i = 0; i < values.Count; i++)
            {
                array.SetValue(ConvertOne(element, values[i], parameter, source), i);
            }

            return array;
        }
        if (values.Count == 0)
        {
            return type == typeof(bool) ? true : throw new UsageException($"{source} needs a value ({Describe(parameter)}).");
        }
        if (values.Count > 1)
        {
            throw new UsageException($"{source} takes one value, got {values.Count}: {string.Join(" ", values)}.");
        }

        return ConvertOne(type, values[0], parameter, source);
    }

    private static object ConvertOne(Type type, string value, BuildParameter parameter, string source)
    {
        try
        {
            if (type == typeof(string))
            {
                return value;
            }

            if (type == typeof(bool))
            {
                return bool.Parse(value);
            }

            if (type == typeof(int))
            {
                return int.Parse(value, CultureInfo.InvariantCulture);
            }

            if (type == typeof(TimeSpan))
            {
                // The load harness's reading (90s, 5m, 500ms, 00:05:00), so --rollout-timeout reads like --duration.
                return AgentSystem.Load.LoadArguments.ParseDuration(value);
            }

            if (type.IsEnum)
            {
                return Enum.TryParse(type, value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) && Enum.IsDefined(type, parsed!)
                    ? parsed!
                    : throw new FormatException();
            }
        }
        catch (FormatException)
        {
            throw new UsageException($"{source}: '{value}' is not a valid value ({Describe(parameter)}).");
        }
        throw new BuildConfigurationException($"Parameter {parameter.Name} has an unsupported type {type.Name}.");
    }

    /// <summary>How the errors name a duration's values (the load harness's reading, above).</summary>
    public const string Duration = "a duration: 5m, 90s, 1h; a bare number is seconds";

    /// <summary>What a value is, for the errors: "a duration: 5m, 90s, 1h; ...", "one or more of text".</summary>
    public static string Describe(BuildParameter parameter)
    {
        var kind = parameter.Values ?? Kind(parameter, "a whole number", Duration);
        // "one or more of debug|release", but "one or more names": a placeholder is a noun, not a list of values.
        return !parameter.ValueType.IsArray ? kind
            : kind.Contains('|', StringComparison.Ordinal) ? $"one or more of {kind}, comma-separated"
            : $"one or more {kind}s, comma-separated";
    }

    /// <summary>
    /// The help's short name for a value, "&lt;duration&gt;" or "&lt;debug|release&gt;": it must fit its column unbroken
    /// (a long one wrapped mid-hint at 80 columns). The errors say more (<see cref="Describe"/>).
    /// </summary>
    public static string Placeholder(BuildParameter parameter)
    {
        var kind = parameter.Values is { } values && values != Duration ? values : Kind(parameter, "number", "duration");
        return parameter.ValueType.IsArray ? $"<{kind}>..." : $"<{kind}>";
    }

    // A value's kind from its type (an array's element's), in the words given for a number and a duration.
    private static string Kind(BuildParameter parameter, string number, string duration)
    {
        var type = parameter.ValueType.IsArray ? parameter.ValueType.GetElementType()! : parameter.ValueType;
        return type.IsEnum ? string.Join("|", Enum.GetNames(type).Select(Naming.ToKebabCase))
            : type == typeof(bool) ? "true|false"
            : type == typeof(int) ? number
            : type == typeof(TimeSpan) || parameter.Values == Duration ? duration
            : "text";
    }

    public static string Format(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        Enum e => Naming.ToKebabCase(e.ToString()),
        Array a => string.Join(" ", a.Cast<object?>().Select(Format)),
        TimeSpan t when t.Ticks % TimeSpan.TicksPerMinute == 0 => t.TotalMinutes.ToString(CultureInfo.InvariantCulture) + "m",
        TimeSpan t when t.Ticks % TimeSpan.TicksPerSecond == 0 => t.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
