namespace AgentSystem.Build.Engine;

/// <summary>Prints <c>--help</c>: targets with descriptions and dependencies, parameters with defaults (local and CI).</summary>
internal static class HelpText
{
    /// <summary>Prints the help with descriptions wrapped at spaces under their column, so each line fits <paramref name="width"/>.</summary>
    public static void Print<T>(TargetGraph graph, ParameterSet parameters, IReadOnlyList<string> defaultTargets, int width) where T : BuildBase, new()
    {
        foreach (var line in TextTable.Wrap($"Usage: {BuildScript.Command} [targets] [--parameter value ...]   (target names are not case-sensitive; build.sh and build.ps1 take the same arguments)", width))
        {
            Log.Info(line);
        }

        Log.Info("");
        var local = BuildBase.CreateAs<T>(serverBuild: false);
        var targets = new TextTable("Target", "Description", "Depends on");
        var rank = local.HelpOrder.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index, StringComparer.Ordinal);
        foreach (var target in graph.Targets.OrderBy(t => rank.GetValueOrDefault(t.Name, int.MaxValue)))
        {
            var name = defaultTargets.Contains(target.Name, StringComparer.OrdinalIgnoreCase) ? $"{target.Name} (default)" : target.Name;
            targets.AddRow(name, target.Definition.DescriptionText ?? "", string.Join(", ", target.Dependencies.Select(d => d.Name)));
        }
        foreach (var line in targets.FitTo(width, 1, 2).Render())
        {
            Log.Info(line);
        }

        Log.Info("");

        var server = BuildBase.CreateAs<T>(serverBuild: true);
        var table = new TextTable("Parameter", "Description", "Default");
        foreach (var parameter in parameters.Parameters)
        {
            var localDefault = ParameterSet.Format(parameter.GetValue(local));
            var serverDefault = ParameterSet.Format(parameter.GetValue(server));
            var shown = localDefault == serverDefault ? localDefault : $"{localDefault} (CI: {serverDefault})";
            var value = parameter.IsSwitch ? "" : $" {ParameterSet.Placeholder(parameter)}";
            table.AddRow($"--{parameter.CliName}{value}", parameter.Description, shown);
        }
        table.AddRow("--target <targets>", "Targets to run (same as naming them first)", "");
        table.AddRow("--skip [targets]", "Skip these targets; with no names, skip every target not named", "");
        table.AddRow("--plan", "Print the execution order and the services each target touches; run nothing", "");
        table.AddRow("--continue", "After a failure, keep running targets that do not depend on it", "");
        table.AddRow("--root <dir>", "Repository root; default: the folder above holding .nuke", "");
        table.AddRow("--help", "This text", "");
        foreach (var line in table.FitTo(width, 1, 0, 2).Render())
        {
            Log.Info(line);
        }

        // The environment variable is the parameter's name in capitals (ParameterSet): a rule, not a column 30 wide.
        var example = parameters.Parameters[0];
        Log.Info("");
        foreach (var line in TextTable.Wrap(
            $"Parameters are read from the arguments, then from environment variables (the name in capitals with underscores: --{example.CliName} is "
            + $"{example.EnvironmentName}), then from {BuildPaths.ParametersFileName}.", width))
        {
            Log.Info(line);
        }

        // Scripts that call the build branch on these (helper-113: they were only in the README).
        foreach (var line in TextTable.Wrap(
            $"Exit codes: 0 success, 1 a target failed, {BuildHost.UsageExitCode} a usage error, {BuildHost.CancelledExitCode} interrupted (Ctrl+C or SIGTERM).", width))
        {
            Log.Info(line);
        }

        if (local.HelpExamples.Count > 0)
        {
            Log.Info("");
            var examples = new TextTable("Example", "What it does");
            foreach (var (commandLine, does) in local.HelpExamples)
            {
                examples.AddRow(commandLine, does);
            }
            foreach (var line in examples.FitTo(width, 1).Render())
            {
                Log.Info(line);
            }
        }
    }
}
