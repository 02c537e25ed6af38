using System.Globalization;
using System.Text.Json.Nodes;
using AgentSystem.Testing.Containers.Engine;

namespace AgentSystem.Testing.Containers.Sessions;

/// <summary>
/// Removes what dead test processes left behind (Testcontainers' Ryuk, without a privileged container): a session is
/// abandoned when its process is gone from this host (or the pid now belongs to a later process), or, for a session
/// of another host or pid namespace, when it is older than <see cref="OtherHostMaxAge"/>, because no process there can
/// be observed.
/// </summary>
public static class SessionSweeper
{
    /// <summary>Longer than any test run, so a colleague's live run on a shared engine is never swept.</summary>
    public static readonly TimeSpan OtherHostMaxAge = TimeSpan.FromHours(6);

    private static readonly string[] SessionResources = [SessionLabels.TestsFilter, SessionLabels.Session];

    /// <summary>Removes containers, then networks, then volumes of every abandoned session except <paramref name="current"/>.</summary>
    public static async Task<SweepResult> SweepAsync(DockerClient client, TestSession current, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(current);
        var now = DateTimeOffset.UtcNow;
        var verdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool Abandoned(JsonObject resource)
        {
            var labels = Labels(resource);
            var session = labels.GetValueOrDefault(SessionLabels.Session, string.Empty);
            if (!verdicts.TryGetValue(session, out var abandoned))
            {
                verdicts[session] = abandoned = IsAbandoned(labels, current, now);
            }

            return abandoned;
        }

        var containers = (await client.ListContainersAsync(SessionResources, cancellationToken).ConfigureAwait(false)).Where(Abandoned).ToList();
        var removedContainers = await RemoveAllAsync(containers, r => client.RemoveContainerAsync(Id(r), cancellationToken)).ConfigureAwait(false);
        var networks = (await client.ListNetworksAsync(SessionResources, cancellationToken).ConfigureAwait(false)).Where(Abandoned).ToList();
        var removedNetworks = await RemoveAllAsync(networks, r => client.RemoveNetworkAsync(Id(r), cancellationToken)).ConfigureAwait(false);
        var volumes = (await client.ListVolumesAsync(SessionResources, cancellationToken).ConfigureAwait(false)).Where(Abandoned).ToList();
        var removedVolumes = await RemoveAllAsync(volumes, r => client.RemoveVolumeAsync(Name(r), cancellationToken)).ConfigureAwait(false);

        var sessions = verdicts.Count(pair => pair.Value);
        return new SweepResult(sessions, removedContainers, removedNetworks, removedVolumes);
    }

    /// <summary>Removes everything of one session (this process's own, at exit).</summary>
    public static async Task<SweepResult> RemoveSessionAsync(DockerClient client, Guid sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        string[] filter = [$"{SessionLabels.Session}={sessionId:D}"];
        var containers = await client.ListContainersAsync(filter, cancellationToken).ConfigureAwait(false);
        var removedContainers = await RemoveAllAsync(containers, r => client.RemoveContainerAsync(Id(r), cancellationToken)).ConfigureAwait(false);
        var networks = await client.ListNetworksAsync(filter, cancellationToken).ConfigureAwait(false);
        var removedNetworks = await RemoveAllAsync(networks, r => client.RemoveNetworkAsync(Id(r), cancellationToken)).ConfigureAwait(false);
        var volumes = await client.ListVolumesAsync(filter, cancellationToken).ConfigureAwait(false);
        var removedVolumes = await RemoveAllAsync(volumes, r => client.RemoveVolumeAsync(Name(r), cancellationToken)).ConfigureAwait(false);
        return new SweepResult(containers.Count + networks.Count + volumes.Count > 0 ? 1 : 0, removedContainers, removedNetworks, removedVolumes);
    }

    /// <summary>Whether the session these labels describe is over, seen from <paramref name="current"/>.</summary>
    public static bool IsAbandoned(IReadOnlyDictionary<string, string> labels, TestSession current, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(current);
        if (labels.GetValueOrDefault(SessionLabels.Session) == current.Id.ToString("D"))
        {
            return false;
        }

        var sameHost = string.Equals(labels.GetValueOrDefault(SessionLabels.Host), current.Host, StringComparison.Ordinal);
        var pidNamespace = labels.GetValueOrDefault(SessionLabels.PidNamespace);
        var samePids = string.IsNullOrEmpty(pidNamespace) || current.PidNamespace is null || pidNamespace == current.PidNamespace;
        if (sameHost && samePids && ProcessInfo.CanObserveProcesses
            && int.TryParse(labels.GetValueOrDefault(SessionLabels.ProcessId), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            var boot = labels.GetValueOrDefault(SessionLabels.BootId);
            if (!string.IsNullOrEmpty(boot) && current.BootId is not null && boot != current.BootId)
            {
                return true; // the machine rebooted since: no process of that session survives
            }

            var startTime = ProcessInfo.TryGetStartTime(pid);
            if (startTime is null)
            {
                return true;
            }

            // The pid is alive, but is it still the same process? A recorded start time that differs means reuse.
            return long.TryParse(labels.GetValueOrDefault(SessionLabels.ProcessStartTime), NumberStyles.None, CultureInfo.InvariantCulture, out var recorded)
                   && recorded != startTime;
        }

        // Another host, another pid namespace, or no /proc: nothing can be observed, only the session's age.
        return DateTimeOffset.TryParse(labels.GetValueOrDefault(SessionLabels.Created), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created)
               && now - created > OtherHostMaxAge;
    }

    private static async Task<int> RemoveAllAsync(IReadOnlyList<JsonObject> resources, Func<JsonObject, Task> remove)
    {
        // In parallel: at process exit every millisecond counts before the test host is torn down.
        var results = await Task.WhenAll(resources.Select(async resource =>
        {
            try
            {
                await remove(resource).ConfigureAwait(false);
                return true;
            }
            catch (DockerApiException)
            {
                return false; // still in use by a live container of another session, or removed meanwhile
            }
        })).ConfigureAwait(false);
        return results.Count(removed => removed);
    }

    private static Dictionary<string, string> Labels(JsonObject resource) =>
        resource["Labels"] is JsonObject labels
            ? labels.Where(pair => pair.Value is not null).ToDictionary(pair => pair.Key, pair => pair.Value!.GetValue<string>(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    private static string Id(JsonObject resource) => resource["Id"]?.GetValue<string>() ?? string.Empty;

    private static string Name(JsonObject resource) => resource["Name"]?.GetValue<string>() ?? string.Empty;
}
