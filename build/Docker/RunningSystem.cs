using System.Globalization;
using AgentSystem.Contracts;

namespace AgentSystem.Build.Docker;

/// <summary>The host ports (0: any free one) and the API key a composed system runs with.</summary>
public sealed record SystemSettings(int GatewayPort, int FrontendPort, string ApiKey);

/// <summary>The --system-* values named for this run (on the command line, in the environment or the parameters file); null: not named.</summary>
public sealed record NamedSystemSettings(int? GatewayPort, int? FrontendPort, string? ApiKey)
{
    /// <summary>What was named, and <paramref name="defaults"/> for the rest.</summary>
    public SystemSettings Or(SystemSettings defaults) =>
        new(GatewayPort ?? defaults.GatewayPort, FrontendPort ?? defaults.FrontendPort, ApiKey ?? defaults.ApiKey);
}

/// <summary>
/// A system that is running already, as SystemUp and SystemTest find it. SystemTest tests it as it is, unless this run
/// changes something about it (an image this run built that it does not run, or a --system-* value named that it does
/// not run with); then it is brought up again first. SystemUp brings it up again with what this run named. Either way,
/// what was not named is kept as it runs, not taken from this run's defaults, so the system stays where its user put
/// it (a plain SystemUp after <c>SystemUp --system-gateway-port 9090</c> keeps 9090).
/// </summary>
/// <param name="Settings">What it runs with (after the update, if any).</param>
/// <param name="Changes">What this run changes about it; none: it is tested as it is.</param>
/// <param name="Notes">What could not be read from it, and what is used instead.</param>
public sealed record RunningSystem(SystemSettings Settings, IReadOnlyList<string> Changes, IReadOnlyList<string> Notes)
{
    /// <summary>The gateway's variable (in services/docker-compose.yml) that holds the API key it accepts.</summary>
    public const string ApiKeyVariable = "Gateway__ApiKeys__0";

    /// <summary>
    /// The API key Compose's gateway accepts unless AGENTSYSTEM_API_KEY names one, and Dev's: it begins dev-only-, so a
    /// gateway run with it outside Development warns that whoever has read the repository can use it.
    /// </summary>
    public const string DevelopmentApiKey = "dev-only-api-key";

    public bool AsItIs => Changes.Count == 0;

    /// <summary>What to say when the gateway would refuse <paramref name="key"/> for its length (it would not start); null when it takes it.</summary>
    public static string? ApiKeyProblem(string option, string? key) =>
        key is null || KeyLength.IsLongEnough(key) ? null
            : $"{option}: the gateway takes API keys of at least {KeyLength.Min} characters (random ones, as from `openssl rand -hex 24`), "
              + $"and this one has {KeyLength.Counted(key)}";

    /// <summary>
    /// The services whose containers were made from another configuration than <paramref name="hashes"/> (Compose's
    /// hash of each service as this checkout's compose file and this run's variables make it), each with why: a changed
    /// compose file or other AGENTSYSTEM_* values since the system was started. Empty when every container matches.
    /// </summary>
    public static IReadOnlyList<string> ConfigDrift(IReadOnlyList<ComposeContainer> containers, IReadOnlyDictionary<string, string> hashes)
    {
        var drift = new List<string>();
        foreach (var service in containers.Select(c => c.Service).Distinct().Order(StringComparer.Ordinal))
        {
            if (!hashes.TryGetValue(service, out var hash))
            {
                drift.Add($"{service} (not in this compose file)");
            }
            else if (containers.Any(c => c.Service == service && c.ConfigHash != hash))
            {
                drift.Add(service);
            }
        }

        drift.AddRange(hashes.Keys.Where(service => containers.All(c => c.Service != service)).Order(StringComparer.Ordinal).Select(service => $"{service} (not running)"));
        return drift;
    }

    /// <summary>The system as it runs, or null when none of its containers runs (then the defaults and what was named apply).</summary>
    /// <param name="containers">The compose project's containers.</param>
    /// <param name="images">The images this run built (or found built), by service.</param>
    /// <param name="gatewayPort">The gateway's port inside its container.</param>
    /// <param name="frontendPort">The frontend's port inside its container.</param>
    /// <param name="named">The --system-* values named for this run.</param>
    /// <param name="defaults">What is used for what was neither named nor could be read.</param>
    public static RunningSystem? Read(IReadOnlyList<ComposeContainer> containers, IEnumerable<ImageResult> images, int gatewayPort, int frontendPort,
        NamedSystemSettings named, SystemSettings defaults)
    {
        if (!containers.Any(c => c.Status == "running"))
        {
            return null;
        }

        var changes = new List<string>();
        var notes = new List<string>();
        foreach (var image in images.OrderBy(i => i.Service, StringComparer.Ordinal))
        {
            var runs = containers.Where(c => c.Service == image.Service).ToList();
            if (runs.Count == 0 || runs.Any(c => c.ImageId != image.Id))
            {
                changes.Add($"this run's {image.Service} image ({image.Image})");
            }
        }

        int Port(string service, int inside, int? wanted, int fallback)
        {
            var runs = containers.Where(c => c.Service == service).Select(c => c.PublishedPorts.TryGetValue(inside, out var p) ? p : (int?)null).FirstOrDefault(p => p is not null);
            // 0 asks for any free port: the one it runs on is one.
            if (wanted is { } port && port != 0 && port != runs)
            {
                changes.Add($"--system-{service}-port {port} (it runs on {runs?.ToString(CultureInfo.InvariantCulture) ?? "no port"})");
                return port;
            }

            if (runs is { } running)
            {
                return running;
            }

            notes.Add($"The {service}'s published port could not be read from the running system; using {wanted ?? fallback}.");
            return wanted ?? fallback;
        }

        var gateway = Port("gateway", gatewayPort, named.GatewayPort, defaults.GatewayPort);
        var frontend = Port("frontend", frontendPort, named.FrontendPort, defaults.FrontendPort);
        var key = containers.Where(c => c.Service == "gateway").Select(c => c.Environment.GetValueOrDefault(ApiKeyVariable)).FirstOrDefault(k => k is { Length: > 0 });
        if (key is null)
        {
            // A key the user gave is a secret, never printed (as SystemUp's summary does); the default is the repository's.
            var keyUsed = named.ApiKey is null ? $"--system-api-key '{defaults.ApiKey}'" : "the key --system-api-key gives (not printed)";
            notes.Add($"The running system's API key could not be read (the gateway's {ApiKeyVariable}); using {keyUsed}.");
        }
        else if (named.ApiKey is { } wantedKey && wantedKey != key)
        {
            changes.Add("--system-api-key (it runs with another key)");
        }

        return new RunningSystem(new SystemSettings(gateway, frontend, named.ApiKey ?? key ?? defaults.ApiKey), changes, notes);
    }
}
