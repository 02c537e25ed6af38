using System.Globalization;
using System.Text;
using AgentSystem.Build.Engine;
using k8s;
using k8s.Models;

namespace AgentSystem.Build.Deploy;

/// <summary>
/// What a failed deploy leaves for whoever reads it: the namespace's events, the states of its workloads and pods,
/// and every container's log (and its previous container's, after a restart), under one folder; and the likely
/// causes, a few lines for the console.
/// </summary>
public static class Diagnostics
{
    public static async Task<IReadOnlyList<string>> SaveAsync(ClusterApi api, string ns, string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(folder, "logs"));
        var events = (await api.EventsAsync(ns, cancellationToken).ConfigureAwait(false))
            .OrderBy(e => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp).ToList();
        await File.WriteAllLinesAsync(Path.Combine(folder, "events.txt"), events.Select(e => string.Create(CultureInfo.InvariantCulture,
            $"{e.LastTimestamp ?? e.EventTime:u} {e.Type} {e.Reason} {e.InvolvedObject.Kind}/{e.InvolvedObject.Name}: {e.Message}")), cancellationToken).ConfigureAwait(false);

        var pods = await api.PodsAsync(ns, cancellationToken).ConfigureAwait(false);
        var states = new StringBuilder();
        foreach (var item in (await api.DeploymentsAsync(ns, cancellationToken).ConfigureAwait(false)).Cast<object>()
                     .Concat(await api.StatefulSetsAsync(ns, cancellationToken).ConfigureAwait(false))
                     .Concat(await api.JobsAsync(ns, cancellationToken).ConfigureAwait(false))
                     .Concat(pods))
        {
            states.Append("---\n").Append(KubernetesYaml.Serialize(item)).Append('\n');
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "objects.yaml"), states.ToString(), cancellationToken).ConfigureAwait(false);

        foreach (var pod in pods)
        {
            foreach (var container in pod.Status?.ContainerStatuses ?? [])
            {
                await SaveLogAsync(api, ns, pod.Name(), container.Name, previous: false, folder, cancellationToken).ConfigureAwait(false);
                if (container.RestartCount > 0)
                {
                    await SaveLogAsync(api, ns, pod.Name(), container.Name, previous: true, folder, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        return Causes(pods, events);
    }

    private static async Task SaveLogAsync(ClusterApi api, string ns, string pod, string container, bool previous, string folder, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await api.LogAsync(ns, pod, container, previous, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
        {
            // A container that never started has no log; say so in the file rather than lose the others.
            text = $"(no log: {e.Message})";
        }
        var name = $"{pod}_{container}{(previous ? ".previous" : "")}.log";
        await File.WriteAllTextAsync(Path.Combine(folder, "logs", name), text, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Containers not running well (why, how often restarted, how the last one ended), then the latest warnings.</summary>
    private static List<string> Causes(IList<V1Pod> pods, IList<Corev1Event> events)
    {
        var causes = new List<string>();
        foreach (var pod in pods)
        {
            foreach (var container in pod.Status?.ContainerStatuses ?? [])
            {
                var waiting = container.State?.Waiting;
                var last = container.LastState?.Terminated;
                if (waiting is null && container.RestartCount == 0)
                {
                    continue;
                }

                var cause = $"{pod.Name()}/{container.Name}: {waiting?.Reason ?? "running"}, {container.RestartCount} restart(s)";
                if (last is not null)
                {
                    cause += $"; last exit {last.ExitCode} ({last.Reason})";
                }

                if (waiting?.Message is { Length: > 0 } message)
                {
                    cause += $": {LoggedStep.Shorten(message, 160)}";
                }

                causes.Add(cause);
            }
        }
        causes.AddRange(events.Where(e => e.Type == "Warning").TakeLast(5)
            .Select(e => $"event {e.Reason} {e.InvolvedObject.Kind}/{e.InvolvedObject.Name}: {LoggedStep.Shorten(e.Message ?? "", 160)}"));
        return causes;
    }
}
