using AgentSystem.Build.Engine;
using k8s.Models;

namespace AgentSystem.Build.Deploy;

/// <summary>
/// Waits until workloads are ready: StatefulSets and Deployments with every replica ready and up to date, Jobs
/// complete. A pod crash-looping is normal while what it needs starts (the database, a migration), so only the
/// deadline ends the wait, or a state that never heals (a failed Job, an image the node can never have).
/// </summary>
public sealed class Rollout(ClusterApi api, string ns, TimeSpan deadline, TimeSpan pollInterval)
{
    /// <summary>Waiting reasons no wait cures: the image is not in the cluster and may not be pulled, or is misnamed.</summary>
    private static readonly string[] Fatal = ["ErrImageNeverPull", "InvalidImageName"];

    /// <summary>Waits for the named workloads ("Deployment/gateway", "Job/chat-migrate"); throws with what is not ready.</summary>
    public async Task WaitAsync(string phase, IReadOnlyCollection<string> workloads, CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var last = "";
        while (true)
        {
            var (pending, failed, pods) = await StateAsync(workloads, cancellationToken).ConfigureAwait(false);
            if (failed.Count > 0)
            {
                throw new DeployFailedException($"{phase}: {string.Join("; ", failed)}.");
            }

            if (pending.Count == 0)
            {
                Log.Info($"{phase}: {workloads.Count} ready after {LoggedStep.Elapsed(watch.Elapsed)}.");
                return;
            }
            var waiting = $"{phase}: waiting for {string.Join(", ", pending)}{(pods.Count > 0 ? $" ({string.Join("; ", pods)})" : "")}";
            if (waiting != last)
            {
                Log.Info(waiting);
            }

            last = waiting;
            if (watch.Elapsed >= deadline)
            {
                throw new DeployFailedException($"{phase}: not ready within {LoggedStep.Elapsed(deadline)}: {string.Join(", ", pending)}{(pods.Count > 0 ? $"; pods: {string.Join("; ", pods)}" : "")}.");
            }

            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(List<string> Pending, List<string> Failed, List<string> Pods)> StateAsync(IReadOnlyCollection<string> workloads, CancellationToken cancellationToken)
    {
        var pending = new List<string>();
        var failed = new List<string>();
        var wanted = workloads.ToHashSet(StringComparer.Ordinal);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        bool Wanted(string kind, string name) => listed.Add($"{kind}/{name}") && wanted.Contains($"{kind}/{name}");

        foreach (var deployment in await api.DeploymentsAsync(ns, cancellationToken).ConfigureAwait(false))
        {
            if (!Wanted("Deployment", deployment.Name()))
            {
                continue;
            }

            var replicas = deployment.Spec.Replicas ?? 1;
            var status = deployment.Status;
            if (status is null || (status.ObservedGeneration ?? 0) < (deployment.Metadata.Generation ?? 0)
                || (status.UpdatedReplicas ?? 0) < replicas || (status.ReadyReplicas ?? 0) < replicas)
            {
                pending.Add($"Deployment/{deployment.Name()} {status?.ReadyReplicas ?? 0}/{replicas}");
            }
        }
        foreach (var set in await api.StatefulSetsAsync(ns, cancellationToken).ConfigureAwait(false))
        {
            if (!Wanted("StatefulSet", set.Name()))
            {
                continue;
            }

            var replicas = set.Spec.Replicas ?? 1;
            if ((set.Status?.ReadyReplicas ?? 0) < replicas)
            {
                pending.Add($"StatefulSet/{set.Name()} {set.Status?.ReadyReplicas ?? 0}/{replicas}");
            }
        }
        foreach (var job in await api.JobsAsync(ns, cancellationToken).ConfigureAwait(false))
        {
            if (!Wanted("Job", job.Name()))
            {
                continue;
            }

            if (job.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True") is { } failure)
            {
                failed.Add($"Job/{job.Name()} failed ({failure.Reason}: {failure.Message})");
            }
            else if ((job.Status?.Succeeded ?? 0) < 1)
            {
                pending.Add($"Job/{job.Name()} running");
            }
        }
        pending.AddRange(wanted.Where(w => !listed.Contains(w)).Select(w => w + " not created yet"));

        var pods = new List<string>();
        foreach (var pod in await api.PodsAsync(ns, cancellationToken).ConfigureAwait(false))
        {
            foreach (var container in pod.Status?.ContainerStatuses ?? [])
            {
                var reason = container.State?.Waiting?.Reason;
                if (reason is null && container.RestartCount == 0)
                {
                    continue;
                }

                if (reason is not null && Fatal.Contains(reason))
                {
                    failed.Add($"pod {pod.Name()} container {container.Name}: {reason} ({container.State!.Waiting!.Message})");
                }

                pods.Add($"{pod.Name()}/{container.Name} {reason ?? "running"}, {container.RestartCount} restart(s)");
            }
        }
        return (pending, failed, pods);
    }
}

/// <summary>The deploy found the system broken (not ready, a failed Job, a smoke test that failed): diagnostics follow.</summary>
public sealed class DeployFailedException(string message) : Exception(message);
