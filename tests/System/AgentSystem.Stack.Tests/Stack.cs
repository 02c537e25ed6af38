using System.Diagnostics;
using System.Text.Json;

namespace AgentSystem.StackTests;

/// <summary>A container of the composed system, from <c>docker inspect</c>.</summary>
public sealed record StackContainer(string Id, string Name, string Service, JsonElement Inspect)
{
    public string ImageReference => Inspect.GetProperty("Config").GetProperty("Image").GetString()!;
    public string RunState => Inspect.GetProperty("State").GetProperty("Status").GetString()!;
}

/// <summary>
/// The running system that ./build.sh SystemTest started (or found): where its gateway and frontend are published,
/// its API key, and the containers of its compose project, which the fault tests kill and restart with docker.
/// </summary>
public sealed class Stack : IDisposable
{
    public Uri Gateway { get; } = new(Setting("AGENTSYSTEM_STACK_GATEWAY"));
    public Uri Frontend { get; } = new(Setting("AGENTSYSTEM_STACK_FRONTEND"));
    public string Project { get; } = Setting("AGENTSYSTEM_STACK_PROJECT");
    public string ApiKey { get; } = Setting("AGENTSYSTEM_STACK_API_KEY");
    private readonly string _docker = Environment.GetEnvironmentVariable("AGENTSYSTEM_STACK_DOCKER") is { Length: > 0 } docker ? docker : "docker";

    /// <summary>A client of the gateway that sends the API key.</summary>
    public HttpClient Api { get; }

    public Stack()
    {
        Api = new HttpClient { BaseAddress = Gateway, Timeout = TimeSpan.FromSeconds(30) };
        Api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
    }

    public void Dispose() => Api.Dispose();

    private static string Setting(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{name} is not set: these tests drive a running system; run them with ./build.sh SystemTest.");

    /// <summary>The project's containers (running or not), optionally of one service.</summary>
    public IReadOnlyList<StackContainer> Containers(string? service = null)
    {
        var filter = service is null ? [] : new[] { "--filter", $"label=com.docker.compose.service={service}" };
        var ids = Docker(["ps", "--all", "--quiet", "--filter", $"label=com.docker.compose.project={Project}", .. filter])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0)
        {
            return [];
        }

        using var document = JsonDocument.Parse(Docker(["inspect", .. ids]));
        return document.RootElement.EnumerateArray().Select(c => new StackContainer(
            c.GetProperty("Id").GetString()!,
            c.GetProperty("Name").GetString()!.TrimStart('/'),
            c.GetProperty("Config").GetProperty("Labels").GetProperty("com.docker.compose.service").GetString()!,
            c.Clone())).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Runs the docker CLI; throws with its error output when it fails.</summary>
    public string Docker(params string[] arguments)
    {
        var (exitCode, output, error) = TryDocker(arguments);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"docker {string.Join(' ', arguments)} exited with {exitCode}: {error.Trim()}");
    }

    /// <summary>Runs the docker CLI and returns how it ended, failed or not.</summary>
    public (int ExitCode, string Output, string Error) TryDocker(params string[] arguments)
    {
        var info = new ProcessStartInfo(_docker) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Waits until every container of the project is up and, where it has a health check, healthy (one-shots done).</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var waiting = Containers().Where(c =>
            {
                var state = c.Inspect.GetProperty("State");
                if (c.RunState == "exited")
                {
                    return state.GetProperty("ExitCode").GetInt32() != 0;
                }

                return c.RunState != "running" ||
                       state.TryGetProperty("Health", out var health) && health.ValueKind == JsonValueKind.Object && health.GetProperty("Status").GetString() != "healthy";
            }).ToList();
            if (waiting.Count == 0)
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                Assert.Fail($"not healthy within {timeout.TotalSeconds} s: {string.Join(", ", waiting.Select(c => $"{c.Name} {c.RunState}"))}");
            }

            await Task.Delay(500);
        }
    }

    /// <summary>What the containers said lately, for a failure message.</summary>
    public string RecentLogs(string service, int lines = 40) => string.Join(Environment.NewLine, Containers(service).Select(c =>
    {
        var (_, output, error) = TryDocker("logs", "--tail", lines.ToString(System.Globalization.CultureInfo.InvariantCulture), c.Id);
        return $"--- {c.Name} ---{Environment.NewLine}{output}{error}";
    }));
}

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<Stack>
{
    public const string Name = "stack";
}
