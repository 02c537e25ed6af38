using System.Text.Json;
using AgentSystem.Contracts;

namespace AgentSystem.Build.Engine;

/// <summary>One invocation: parse, bind, plan, then print help, print the plan, or run.</summary>
internal static class BuildHost
{
    public const int UsageExitCode = 2;
    public const int CancelledExitCode = 130;

    /// <summary>Options the engine itself understands; everything else must be a parameter.</summary>
    private static readonly string[] EngineSwitches = ["help", "plan", "continue"];
    private static readonly string[] EngineOptions = ["target", "skip", "root"];

    public static int Run<T>(string[] args, IReadOnlyDictionary<string, string> environment, string workingDirectory,
        IReadOnlyList<string> defaultTargets, CancellationToken cancellationToken) where T : BuildBase, new() =>
        Run(new T(), args, environment, workingDirectory, defaultTargets, cancellationToken);

    /// <summary>Runs <paramref name="build"/>, an object tests can look into afterwards.</summary>
    public static int Run<T>(T build, string[] args, IReadOnlyDictionary<string, string> environment, string workingDirectory,
        IReadOnlyList<string> defaultTargets, CancellationToken cancellationToken) where T : BuildBase, new()
    {
        try
        {
            var commandLine = CommandLine.Parse(args);
            var parameters = ParameterSet.Of(typeof(T));
            CheckOptions(commandLine, parameters);
            var graph = TargetGraph.From(build);
            RefuseTargetsAmongValues(commandLine, parameters, graph);
            MoveStrayValuesToTargets(commandLine, parameters);

            RefuseEngineOptionsWithoutValues(commandLine);
            var width = TextTable.TerminalWidth(environment);
            if (commandLine.Has("help"))
            {
                // A misspelt target beside --help is told, as without it (helper-116: `--help Complie` printed the help).
                _ = ResolveTargets(graph, commandLine, defaultTargets: []);

                HelpText.Print<T>(graph, parameters, defaultTargets, width);
                return 0;
            }

            build.RootDirectory = commandLine.Options.TryGetValue("root", out var root) && root.Count > 0
                ? BuildPaths.CheckRoot(Path.GetFullPath(root[0], workingDirectory))
                : BuildPaths.FindRoot(workingDirectory);
            build.CancellationToken = cancellationToken;
            build.EnvironmentVariables = environment;
            build.ParameterSources = parameters.Bind(build, commandLine, environment, ReadParametersFile(build.RootDirectory));
            BuildSchema.WriteIfChanged(build.RootDirectory, parameters);
            build.CheckParameters();

            var requested = ResolveTargets(graph, commandLine, defaultTargets);
            build.RequestedTargets = requested.Select(t => t.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var skip = commandLine.Options.TryGetValue("skip", out var skipped) ? skipped.SelectMany(SplitNames).ToList() : null;
            foreach (var name in skip ?? [])
            {
                _ = FindTarget(graph, name);
            }

            var plan = ExecutionPlan.Create(requested, skip);
            if (skip is { Count: > 0 })
            {
                RefuseSkipsOfTargetsNotRun(commandLine, requested, plan, skip);
            }
            CheckRequirements(plan, requested, parameters);
            WarnAboutUnreadParameters(plan, graph, parameters, build);

            if (commandLine.Has("plan"))
            {
                PlanPrinter.Print(plan, width, new Lazy<IReadOnlyCollection<string>>(() => build.KnownServices));
                return 0;
            }
            using var running = plan.Any(t => t.SkipReason is null && t.Node.Definition.Writes)
                ? RunningBuilds.Register(build.RootDirectory, Quoted(args))
                : null;
            running?.WarnAboutOthers();
            var exitCode = new TargetRunner(build, commandLine.Has("continue"), width, cancellationToken).Run(plan);
            if (exitCode == 1)
            {
                running?.NoteAfterFailure();
            }
            return exitCode;
        }
        catch (UsageException e)
        {
            Log.Error(e.Message);
            return UsageExitCode;
        }
    }

    /// <summary>
    /// The command line as the user could type it again, but for a secret's value (an option whose name ends in KEY,
    /// PASSWORD, TOKEN or SECRET: <c>--dev-api-key</c>), which another build's warning would print.
    /// </summary>
    internal static string Quoted(string[] args)
    {
        var words = new List<string> { BuildScript.Command };
        for (var i = 0; i < args.Length; i++)
        {
            var (name, inline) = args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Split('=', 2) is [var option, var value]
                ? (option, value)
                : (args[i], null);
            var secretValue = i > 0 && IsSecretOption(args[i - 1]) && !args[i - 1].Contains('=', StringComparison.Ordinal);
            // Quoted, so that the line pasted into a shell does not expand it as a pattern.
            words.Add(secretValue ? "'***'"
                : inline is not null && IsSecretOption(name) ? $"{name}='***'"
                : ShellCommand.Word(args[i]));
        }
        return string.Join(' ', words);
    }

    private static bool IsSecretOption(string argument) =>
        argument.StartsWith("--", StringComparison.Ordinal) && ProcessRunner.IsSecret(argument.Split('=', 2)[0].Replace("-", "", StringComparison.Ordinal));

    private static void CheckOptions(CommandLine commandLine, ParameterSet parameters)
    {
        foreach (var name in commandLine.Options.Keys)
        {
            if (EngineSwitches.Contains(name, StringComparer.OrdinalIgnoreCase) || EngineOptions.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (parameters.Find(name) is not null)
            {
                continue;
            }

            var valid = parameters.Parameters.Select(p => "--" + p.CliName).Concat(EngineSwitches.Concat(EngineOptions).Select(o => "--" + o));
            throw new UsageException($"Unknown parameter '--{name}'.{Suggestions.DidYouMean("--" + name, valid)} Valid parameters: {string.Join(", ", valid)}.");
        }
    }

    private static bool IsSwitch(string name, ParameterSet parameters) =>
        EngineSwitches.Contains(name, StringComparer.OrdinalIgnoreCase) || parameters.Find(name)?.IsSwitch == true;

    /// <summary>In <c>Compile --all Test</c>, "Test" follows a switch, so it is a target, not the switch's value.</summary>
    private static void MoveStrayValuesToTargets(CommandLine commandLine, ParameterSet parameters)
    {
        foreach (var (name, values) in commandLine.Options)
        {
            if (!IsSwitch(name, parameters))
            {
                continue;
            }

            var stray = values.Where(v => !bool.TryParse(v, out _)).ToList();
            if (stray.Count == 0)
            {
                continue;
            }

            values.RemoveAll(stray.Contains);
            commandLine.Targets.AddRange(stray);
        }
    }

    /// <summary>
    /// <c>--scenarios enqueue LoadTest</c> took LoadTest for a scenario and ran the default target; <c>--service worker
    /// Images</c> called Images an unknown service. A value naming a target is refused, with the command line rearranged:
    /// not --target's or --skip's (they name targets), nor a switch's (a target after it is one), nor a text option's
    /// one value (<c>--base dev</c>: a branch; <c>--system-name test</c>), nor one written with '=' (<c>--service=worker,Images</c>
    /// binds Images to --service on purpose, and the option's own check answers).
    /// </summary>
    private static void RefuseTargetsAmongValues(CommandLine commandLine, ParameterSet parameters, TargetGraph graph)
    {
        var arguments = commandLine.Arguments;
        bool IsTarget(string item) => graph.Find(item) is not null;
        // A list's items too: --service worker,Images said only "Unknown service 'Images'" (helper-102).
        string[] Items(int index) => arguments[index].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var misplaced = commandLine.SeparateValues
            .Where(value => !MayNameATarget(value.Option, value.Position, parameters) && Items(value.Index).Any(IsTarget))
            .ToDictionary(value => value.Index);
        if (misplaced.Count == 0)
        {
            return;
        }

        // Targets first (those before the options, those after a switch, the misplaced), then the options as given, a
        // list without the targets taken out of it.
        var targets = commandLine.SeparateValues
            .Where(value => IsSwitch(value.Option, parameters) && !bool.TryParse(arguments[value.Index], out _))
            .Select(value => value.Index)
            .Concat(Enumerable.Range(0, commandLine.Targets.Count))
            .ToHashSet();
        // An option whose every value was a target goes too (helper-103: "./build.sh SystemTest Images --service --plan").
        int OptionOf(int value) => Enumerable.Range(0, value).Last(index => arguments[index].StartsWith("--", StringComparison.Ordinal) || arguments[index] is "-h" or "-?");
        var emptied = commandLine.SeparateValues
            .Where(value => !IsSwitch(value.Option, parameters))
            .GroupBy(value => OptionOf(value.Index))
            .Where(option => !arguments[option.Key].Contains('=', StringComparison.Ordinal)
                && option.All(value => misplaced.ContainsKey(value.Index) && Items(value.Index).All(IsTarget)))
            .Select(option => option.Key)
            .ToHashSet();
        var front = new List<string>();
        var rest = new List<string>();
        for (var index = 0; index < arguments.Count; index++)
        {
            if (emptied.Contains(index))
            {
                continue;
            }

            if (misplaced.ContainsKey(index))
            {
                var items = Items(index);
                front.AddRange(items.Where(IsTarget));
                var others = items.Where(item => !IsTarget(item)).ToList();
                if (others.Count > 0)
                {
                    rest.Add(string.Join(',', others));
                }
            }
            else
            {
                (targets.Contains(index) ? front : rest).Add(arguments[index]);
            }
        }

        var rearranged = front.Concat(rest).Select(argument => argument.Contains(' ', StringComparison.Ordinal) ? $"'{argument}'" : argument);
        var which = string.Join("; ", misplaced.Values.SelectMany(value => Items(value.Index).Where(IsTarget)
            .Select(item => $"--{value.Option}: '{item}' is a target")));
        throw new UsageException($"{which}: name targets before options ({BuildScript.Command} {string.Join(' ', rearranged)})");
    }

    /// <summary>
    /// helper-101: <c>--skip BaseImages SystemUp</c> took SystemUp for a second target to skip and ran the default target.
    /// With no target named, a target to skip outside the default's plan skips nothing: one of them was meant to run.
    /// </summary>
    private static void RefuseSkipsOfTargetsNotRun(CommandLine commandLine, IReadOnlyList<TargetNode> requested, IReadOnlyList<PlannedTarget> plan,
        IReadOnlyList<string> skip)
    {
        if (commandLine.Targets.Count > 0 || commandLine.Has("target"))
        {
            return;
        }

        var planned = plan.Select(target => target.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var outside = skip.Where(name => !planned.Contains(name)).ToList();
        if (outside.Count == 0)
        {
            return;
        }

        var defaults = string.Join(", ", requested.Select(target => target.Name));
        throw new UsageException($"--skip: {string.Join(", ", outside.Select(name => $"'{name}'"))} {(outside.Count == 1 ? "is" : "are")} no part of this run "
            + $"(no target is named, so the default, {defaults}, runs): name the targets to run before the options "
            + $"({BuildScript.Command} TARGET --skip {string.Join(' ', skip)}), or leave out --skip.");
    }

    private static bool MayNameATarget(string option, int position, ParameterSet parameters) =>
        option.Equals("target", StringComparison.OrdinalIgnoreCase) || option.Equals("skip", StringComparison.OrdinalIgnoreCase)
        || IsSwitch(option, parameters)
        || (position == 0 && (option.Equals("root", StringComparison.OrdinalIgnoreCase) || parameters.Find(option)?.ValueType == typeof(string)));

    private static JsonElement? ReadParametersFile(string root)
    {
        var path = Path.Combine(root, BuildPaths.ParametersFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new UsageException($"{BuildPaths.ParametersFileName} is not valid JSON: {e.Message}");
        }
    }

    /// <summary>--target and --root need a value: without one the run went on with the default target or root (--skip alone has a meaning of its own).</summary>
    private static void RefuseEngineOptionsWithoutValues(CommandLine commandLine)
    {
        foreach (var (option, value) in (ReadOnlySpan<(string, string)>)[("target", "a target's name"), ("root", "the repository's top folder")])
        {
            if (commandLine.Options.TryGetValue(option, out var values) && values.Count == 0)
            {
                throw new UsageException($"--{option} needs a value ({value}).");
            }
        }
    }

    private static List<TargetNode> ResolveTargets(TargetGraph graph, CommandLine commandLine, IReadOnlyList<string> defaultTargets)
    {
        var names = commandLine.Targets.Concat(commandLine.Options.GetValueOrDefault("target") ?? []).SelectMany(SplitNames).ToList();
        if (names.Count == 0)
        {
            names.AddRange(defaultTargets);
        }

        return names.Select(n => FindTarget(graph, n)).Distinct().ToList();
    }

    private static string[] SplitNames(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries);

    private static TargetNode FindTarget(TargetGraph graph, string name) =>
        graph.Find(name) ?? throw new UsageException(name.StartsWith('-')
            ? $"Unknown target '{name}': an option starts with two dashes (--{name.TrimStart('-')})."
            : name.Equals("help", StringComparison.OrdinalIgnoreCase)
            ? $"Unknown target '{name}': the targets, parameters and examples are printed by --help."
            : $"Unknown target '{name}'.{Suggestions.DidYouMean(name, graph.Targets.Select(t => t.Name))} Valid targets: {string.Join(", ", graph.Targets.Select(t => t.Name))}.");

    /// <summary>
    /// A parameter given on the command line that only targets outside this run read (<see cref="ITargetDefinition.Reads"/>)
    /// changes nothing: <c>Compile --duration 30s</c>, or <c>Test --duration 30s</c> with LoadTest skipped. Said, not
    /// refused, since a script may pass the same options to several runs. The environment and the parameters file set
    /// parameters for every run, so they are not named.
    /// </summary>
    private static void WarnAboutUnreadParameters(IReadOnlyList<PlannedTarget> plan, TargetGraph graph, ParameterSet parameters, BuildBase build)
    {
        foreach (var parameter in parameters.Parameters)
        {
            if (!build.GivenOnCommandLine(parameter.Name))
            {
                continue;
            }

            var source = build.ParameterSources[parameter.Name];
            var readers = graph.Targets.Where(t => t.Definition.ReadParameters.Any(name => name == parameter.DeclaredName || name == parameter.Member.Name))
                .Select(t => t.Name).ToList();
            var planned = plan.Where(t => readers.Contains(t.Name)).ToList();
            if (readers.Count == 0 || planned.Any(t => t.SkipReason is null))
            {
                continue;
            }

            var who = readers.Count == 1 ? $"only {readers[0]} reads it" : $"only {string.Join(", ", readers)} read it";
            var why = planned.Count == 0
                ? readers.Count == 1 ? $"{readers[0]} is not part of this run" : "none of them is part of this run"
                : string.Join("; ", planned.Select(t => $"{t.Name} is skipped ({t.SkipReason})"));
            // The value is checked only where it is read (a skipped target leaves it alone), so a typo in it would
            // otherwise pass unnoticed until the option is used.
            var refused = graph.Targets.Where(t => readers.Contains(t.Name)).SelectMany(t => t.Definition.Validations).SelectMany(validation => validation())
                .Where(problem => problem.StartsWith(source + ":", StringComparison.Ordinal) || problem.StartsWith(source + " ", StringComparison.Ordinal))
                .Select(problem => problem.TrimEnd('.')).Distinct().ToList();
            var value = refused.Count == 0 ? "" : $" It would be refused there too: {string.Join("; ", refused)}.";
            Log.Warning($"{source} changes nothing here: {who}, and {why}.{value}");
        }
    }

    private static void CheckRequirements(IReadOnlyList<PlannedTarget> plan, IReadOnlyList<TargetNode> requested, ParameterSet parameters)
    {
        foreach (var target in plan.Where(t => t.SkipReason is null))
        {
            foreach (var (name, value) in target.Node.Definition.RequiredParameters)
            {
                var current = value();
                if (current is null || current is string { Length: 0 } || current is Array { Length: 0 })
                {
                    var cli = parameters.Parameters.FirstOrDefault(p => p.DeclaredName == name || p.Member.Name == name)?.CliName ?? Naming.ToKebabCase(name);
                    throw new UsageException($"Target '{target.Name}' requires --{cli} (or the environment variable {Naming.ToScreamingSnakeCase(name)}).");
                }
            }
        }

        // Also a target named on the command line that the plan skips: its options were given for it, and a typo in them
        // should not pass unnoticed because of the skip.
        var problems = plan.Where(t => t.SkipReason is null || requested.Contains(t.Node))
            .SelectMany(target => target.Node.Definition.Validations.SelectMany(validation => validation()).Select(problem => $"{target.Name}: {problem}"))
            .ToList();
        if (problems.Count > 0)
        {
            throw new UsageException(string.Join(Environment.NewLine, problems));
        }
    }
}
