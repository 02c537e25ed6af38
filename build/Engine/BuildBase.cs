using System.Linq.Expressions;

namespace AgentSystem.Build.Engine;

/// <summary>The base of a build class, shaped like NUKE's <c>NukeBuild</c> so a move to Fallout stays mechanical.</summary>
public abstract class BuildBase
{
    private static readonly AsyncLocal<bool?> ServerBuildOverride = new();
    private static readonly string[] CiVariables = ["CI", "GITHUB_ACTIONS", "TF_BUILD"];

    /// <summary>True on a CI runner (CI, GITHUB_ACTIONS or TF_BUILD set), where some parameter defaults differ.</summary>
    public static bool IsServerBuild => ServerBuildOverride.Value ?? IsCiEnvironment();
    public static bool IsLocalBuild => !IsServerBuild;

    /// <summary>The repository root: the folder that holds <c>.nuke</c>.</summary>
    public string RootDirectory { get; internal set; } = Environment.CurrentDirectory;

    public string ArtifactsDirectory => Path.Combine(RootDirectory, "artifacts");

    /// <summary>The environment variables this run was started with (a test's own in tests).</summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables { get; internal set; } = new Dictionary<string, string>();

    /// <summary>Where each parameter given came from, by name (<see cref="ParameterSet.Bind"/>).</summary>
    internal IReadOnlyDictionary<string, string> ParameterSources { get; set; } = new Dictionary<string, string>();

    /// <summary>
    /// How a message should name parameter <paramref name="name"/>: as it was given (an environment variable, the
    /// parameters file), else as its option (Duration: --duration).
    /// </summary>
    protected string GivenAs(string name) => ParameterSources.GetValueOrDefault(name) ?? $"--{Naming.ToKebabCase(name)}";

    /// <summary>Whether parameter <paramref name="name"/> was given on the command line (not the environment, not the parameters file).</summary>
    protected internal bool GivenOnCommandLine(string name) => ParameterSources.GetValueOrDefault(name)?.StartsWith("--", StringComparison.Ordinal) == true;

    /// <summary>One of <see cref="EnvironmentVariables"/>; null when unset or empty.</summary>
    protected string? EnvironmentVariable(string name) => EnvironmentVariables.GetValueOrDefault(name) is { Length: > 0 } value ? value : null;

    /// <summary>Cancelled on Ctrl+C or SIGTERM; child processes are killed either way.</summary>
    public CancellationToken CancellationToken { get; internal set; }

    /// <summary>The targets this run was asked for (named on the command line, or the defaults), not those they pulled in.</summary>
    public IReadOnlySet<string> RequestedTargets { get; internal set; } = new HashSet<string>();

    /// <summary>Every service the build knows of: <c>--plan</c> says "all N" for a target that touches them all.</summary>
    protected internal virtual IReadOnlyCollection<string> KnownServices => [];

    /// <summary><c>--help</c> lists these targets first, in this order, then any other in the order they are defined.</summary>
    protected internal virtual IReadOnlyList<string> HelpOrder => [];

    /// <summary>Command lines <c>--help</c> ends with, each with what it does: where a newcomer starts.</summary>
    protected internal virtual IReadOnlyList<(string CommandLine, string Does)> HelpExamples => [];

    /// <summary>Lines printed after the summary table, as the build's very last output (the test tally, say).</summary>
    protected internal virtual IEnumerable<string> ClosingLines => [];

    /// <summary>
    /// Checks the parameters once they are bound, before any target is planned: throw <see cref="UsageException"/> for
    /// a value no target could use.
    /// </summary>
    protected internal virtual void CheckParameters()
    {
    }

    /// <summary>How soon after the first a signal counts as the same one delivered again, not a second Ctrl+C.</summary>
    private static readonly TimeSpan SameSignal = TimeSpan.FromSeconds(1);

    /// <summary>Runs the build with the process's arguments; <paramref name="defaultTargets"/> run when none is named.</summary>
    protected static int Execute<T>(params Expression<Func<T, Target>>[] defaultTargets) where T : BuildBase, new()
    {
        using var cancellation = new CancellationTokenSource();
        var interrupts = 0;
        void Interrupt(string signal)
        {
            if (Interlocked.Increment(ref interrupts) > 1)
            {
                if (BackgroundProcess.KillAll().Concat(ProcessRunner.KillAll(evenGraceful: true)).ToList() is { Count: > 0 } killed)
                {
                    Log.Warning($"{signal} again: killed {string.Join(", ", killed)} at once, without waiting for a drain.");
                }

                return;
            }

            Log.Warning($"{signal}: stopping the running target and its child processes...");
            cancellation.Cancel();
            foreach (var process in ProcessRunner.KillAll())
            {
                Log.Warning($"  killed: {process}");
            }
        }
        // Ctrl+C (SIGINT) and SIGTERM (CI cancelling, a container stopping) both stop the build gracefully; a second
        // Ctrl+C ends it at once. One within a second of the first is the same one delivered twice: `timeout -s INT`
        // signals its child and then the child's process group (helper-99: the build died without its summary).
        long firstSignal = 0;
        void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            var first = Interlocked.CompareExchange(ref firstSignal, now, 0);
            if (first != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(first, now) < SameSignal)
            {
                context.Cancel = true;
                Log.Info($"{context.Signal} again within a second: taken as the same one (a second Ctrl+C after that ends the build at once).");
                return;
            }

            context.Cancel = interrupts == 0;
            Interrupt(context.Signal == System.Runtime.InteropServices.PosixSignal.SIGINT ? "SIGINT (Ctrl+C)" : context.Signal.ToString());
        }
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);

        BuildScript.TakeFromEnvironment();
        var names = defaultTargets.Select(e => ((MemberExpression)e.Body).Member.Name).ToArray();
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        return BuildHost.Run<T>(Environment.GetCommandLineArgs().Skip(1).ToArray(), environment, Environment.CurrentDirectory, names, cancellation.Token);
    }

    /// <summary>Creates a build object as it would be on a local machine or on CI, to show both defaults in --help.</summary>
    internal static T CreateAs<T>(bool serverBuild) where T : new()
    {
        ServerBuildOverride.Value = serverBuild;
        try { return new T(); }
        finally { ServerBuildOverride.Value = null; }
    }

    private static bool IsCiEnvironment() =>
        CiVariables.Any(name =>
            Environment.GetEnvironmentVariable(name) is { Length: > 0 } value && !value.Equals("false", StringComparison.OrdinalIgnoreCase));
}
