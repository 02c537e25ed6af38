namespace AgentSystem.Build.Tests;

public sealed class DevTargetTests : IDisposable
{
    private readonly TempRepo _repo = TempRepo.WithSampleMonorepo();

    public void Dispose() => _repo.Dispose();

    /// <summary>The plan's rows: each target and what it will do.</summary>
    private Dictionary<string, string> Plan(Dictionary<string, string> environment)
    {
        var run = BuildRun<Build>.Of(["Dev", "--plan", "--root", _repo.Root], new(environment) { ["COLUMNS"] = "200" });
        Assert.True(run.ExitCode == 0, run.Output);
        var lines = run.Output.Split('\n');
        var header = lines.Single(line => line.StartsWith("#  Target", StringComparison.Ordinal));
        var (will, services) = (header.IndexOf("Will", StringComparison.Ordinal), header.IndexOf("Services", StringComparison.Ordinal));
        return lines.Where(line => line.Length > 0 && char.IsDigit(line[0]))
            .ToDictionary(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], line => line[will..Math.Min(services, line.Length)].Trim());
    }

    [Fact]
    public void Given_both_servers_Dev_needs_no_Docker()
    {
        var plan = Plan(new() { ["ConnectionStrings__Postgres"] = "Host=db", ["Redis__Configuration"] = "cache:6379" });

        Assert.Equal(["Dev", "DevServers"], plan.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("skip (condition: both servers are given)", plan["DevServers"]);
        Assert.Equal("run", plan["Dev"]);
    }

    [Theory]
    [InlineData("Redis__Configuration")]
    [InlineData("ConnectionStrings__Postgres")]
    [InlineData(null)]
    public void Without_both_Dev_starts_the_missing_one_in_Docker(string? given)
    {
        var plan = Plan(given is null ? [] : new() { [given] = "given" });

        Assert.Equal(["BaseImages", "Dev", "DevServers", "DockerEngine"], plan.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("run", plan["Dev"]);
        Assert.Equal("run (for Dev)", plan["DevServers"]);
        Assert.Equal("run (for DevServers)", plan["BaseImages"]);
        Assert.Equal("run (for BaseImages, DevServers)", plan["DockerEngine"]);
    }

    [Fact]
    public void The_plan_shows_that_Dev_runs_every_service()
    {
        var run = BuildRun<Build>.Of(["Dev", "--plan", "--root", _repo.Root], new() { ["COLUMNS"] = "200" });

        var dev = run.Output.Split('\n').Single(line => line.Contains(" Dev ", StringComparison.Ordinal));
        Assert.EndsWith($"all {run.Build.KnownServices.Count}", dev.TrimEnd(), StringComparison.Ordinal);
    }
}
