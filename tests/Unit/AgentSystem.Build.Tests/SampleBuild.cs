using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

public enum Flavor { Plain, ExtraSpicy }

/// <summary>A build with every kind of relation the engine supports; it records what ran.</summary>
internal sealed class SampleBuild : BuildBase
{
    public List<string> Ran { get; } = [];

    /// <summary>Targets whose WhenSkipped action ran.</summary>
    public List<string> Tidied { get; } = [];

    /// <summary>Docs' WhenSkipped action; by default it records itself in <see cref="Tidied"/>.</summary>
    public Action? DocsTidy { get; set; }
    private string? _closing;

    protected internal override IEnumerable<string> ClosingLines => _closing is null ? [] : [_closing];
    protected internal override IReadOnlyList<(string CommandLine, string Does)> HelpExamples => [("./build.sh Compile --flavor extra-spicy", "Compiles it hot")];
    public Func<CancellationToken, Task>? CompileBody { get; set; }

    [Parameter("Configuration to build")]
    public readonly string Configuration = IsLocalBuild ? "Debug" : "Release";

    [Parameter("How many")]
    public int Count = 1;

    [Parameter("Names to use")]
    public string[] Names = [];

    [Parameter("Which flavour")]
    public Flavor Flavor = Flavor.Plain;

    [Parameter("Make Compile fail")]
    public bool FailCompile;

    [Parameter("Key needed to publish")]
    public string? ApiKey;

    [Parameter("How long to wait")]
    public TimeSpan Wait = TimeSpan.FromMinutes(10);

    [Parameter("Where Publish publishes")]
    public string Channel = "stable";

    private Target Clean => _ => _.Description("Cleans").Before(Restore).Executes(() => Ran.Add(nameof(Clean)));
    private Target Restore => _ => _.Executes(() => Ran.Add(nameof(Restore)));

    private Target Compile => _ => _
        .WritesOutputs()
        .DependsOn(Restore)
        .Touches(() => ["gateway", "worker"])
        .Executes(async ct =>
        {
            Ran.Add(nameof(Compile));
            if (CompileBody is not null)
            {
                await CompileBody(ct);
            }

            if (FailCompile)
            {
                throw new TargetFailedException("compile broke");
            }
        });

    private Target Test => _ => _.DependsOn(Compile).Executes(() => Ran.Add(nameof(Test)));
    private Target Lint => _ => _.DependsOn(Restore).ProceedAfterFailure().Executes(() => Ran.Add(nameof(Lint)));
    private Target Pack => _ => _.DependsOn(Compile).After(Test).Executes(() => Ran.Add(nameof(Pack)));
    private Target Publish => _ => _.DependsOn(Pack).Requires(() => ApiKey).Reads(() => Channel)
        .Validates(() => Channel is "stable" or "beta" ? [] : [$"{GivenAs(nameof(Channel))}: '{Channel}' is no channel (stable, beta)"])
        .Executes(() => Ran.Add(nameof(Publish)));
    private Target Notify => _ => _.TriggeredBy(Publish).Executes(() => { Ran.Add(nameof(Notify)); _closing = "3 passed, 0 failed"; });
    private Target Docs => _ => _
        .DependsOn(Restore)
        .OnlyWhenStatic(() => Count > 5, "only for big counts")
        .WhenSkipped(() => (DocsTidy ?? (() => Tidied.Add(nameof(Docs))))())
        .Reads(() => Names)
        .RunsBecause(() => Count > 9 ? "a very big count" : null)
        .Validates(() => Names.Where(name => name.Length > 3).Select(name => $"--names: '{name}' is longer than 3 letters"))
        .Executes(() => Ran.Add(nameof(Docs)));
    private Target Slow => _ => _.OnlyWhenDynamic(() => Count > 1, "count above one").WhenSkipped(() => Tidied.Add(nameof(Slow))).Executes(() => Ran.Add(nameof(Slow)));
}

/// <summary>Two targets that wait on each other.</summary>
internal sealed class CyclicBuild : BuildBase
{
    private Target A => _ => _.DependsOn(B).Executes(() => { });
    private Target B => _ => _.DependsOn(A).Executes(() => { });
}
