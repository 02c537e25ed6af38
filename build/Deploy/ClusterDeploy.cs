using AgentSystem.Build.Engine;
using AgentSystem.Build.Kubernetes;

namespace AgentSystem.Build.Deploy;

/// <summary>How one deploy runs: where it writes, how long it waits, whether the cluster stays.</summary>
public sealed record DeploySettings(string Namespace, string FieldManager, string ArtifactsFolder, bool KeepCluster,
    TimeSpan RolloutDeadline, TimeSpan SmokeDeadline, TimeSpan PollInterval);

/// <summary>
/// The deploy to a throwaway cluster: create it, load the images, apply the rendered objects (server-side, in two
/// waves: everything but the Deployments, then, once the databases run and the migration Jobs completed, the
/// Deployments), wait for the rollouts, smoke-test through the gateway; on failure keep diagnostics; and delete the
/// cluster whatever happened, Ctrl+C included, unless asked to keep it.
/// </summary>
public sealed class ClusterDeploy(IClusterTool tool, DeploySettings settings)
{
    public async Task RunAsync(string cluster, IReadOnlyList<string> images, IReadOnlyList<ManifestObject> objects, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(settings.ArtifactsFolder, cluster);
        Directory.CreateDirectory(folder);
        var kubeconfig = Path.Combine(folder, "kubeconfig");
        Log.Info($"Cluster {cluster} ({tool.Name}), context {tool.ContextName(cluster)}, kubeconfig {LoggedStep.DisplayPath(kubeconfig)}.");
        // What was under way, for the deletion's line: it comes before the failure's message, which the build prints last.
        string? step = "Creating the cluster";
        try
        {
            tool.Create(cluster, kubeconfig, cancellationToken);
            step = "Loading the images";
            tool.Load(cluster, images, cancellationToken);
            step = "The deploy";
            using var api = ClusterApi.Connect(kubeconfig, tool.ContextName(cluster), settings.FieldManager);
            Log.Info($"Acting only on context {api.Context} ({api.Server}).");
            try
            {
                await ApplyAndWaitAsync(api, objects, cancellationToken).ConfigureAwait(false);
                await new SmokeTest(api, settings.Namespace, settings.SmokeDeadline, settings.PollInterval).RunAsync(objects, cancellationToken).ConfigureAwait(false);
            }
            catch (DeployFailedException e) when (!cancellationToken.IsCancellationRequested)
            {
                Log.Error(e.Message);
                throw await DiagnoseAsync(api, folder, e).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
            {
                // The cluster tool said it was ready, yet its API server does not answer: a stack trace helps nobody here.
                throw new TargetFailedException(
                    $"The cluster's API server at {api.Server} does not answer ({e.Message}). Is {tool.Name}'s node running "
                    + "(docker ps)? Is a proxy set (HTTPS_PROXY) that 127.0.0.1 is not exempt from (NO_PROXY)?",
                    $"{tool.Name}'s API server does not answer");
            }
            Log.Success($"{cluster}: the system runs and answers.");
            step = null;
        }
        finally
        {
            if (settings.KeepCluster)
            {
                PrintKept(cluster, kubeconfig);
            }
            else
            {
                Delete(cluster, kubeconfig, cancellationToken.IsCancellationRequested ? "Interrupted" : step is null ? null : $"{step} failed");
            }
        }
    }

    private async Task ApplyAndWaitAsync(ClusterApi api, IReadOnlyList<ManifestObject> objects, CancellationToken cancellationToken)
    {
        var rollout = new Rollout(api, settings.Namespace, settings.RolloutDeadline, settings.PollInterval);
        var services = objects.Where(o => o.Kind == "Deployment").ToList();
        var first = objects.Except(services).ToList();
        await ApplyAsync(api, first, cancellationToken).ConfigureAwait(false);
        await rollout.WaitAsync("databases and migrations", Names(first, "StatefulSet", "Job"), cancellationToken).ConfigureAwait(false);
        await ApplyAsync(api, services, cancellationToken).ConfigureAwait(false);
        await rollout.WaitAsync("services", Names(services, "Deployment"), cancellationToken).ConfigureAwait(false);
    }

    private async Task ApplyAsync(ClusterApi api, List<ManifestObject> objects, CancellationToken cancellationToken)
    {
        foreach (var manifest in objects)
        {
            await api.ApplyAsync(manifest, cancellationToken).ConfigureAwait(false);
        }

        Log.Info($"Applied {objects.Count} object(s) (server-side, field manager {settings.FieldManager}): {string.Join(", ", objects.Select(o => o.ToString()))}");
    }

    private static List<string> Names(IEnumerable<ManifestObject> objects, params string[] kinds) =>
        objects.Where(o => kinds.Contains(o.Kind)).Select(o => o.ToString()).ToList();

    /// <summary>Saves what explains the failure and returns the target's failure, causes included.</summary>
    private async Task<TargetFailedException> DiagnoseAsync(ClusterApi api, string folder, DeployFailedException failure)
    {
        try
        {
            // Bounded, so a cluster that stopped answering cannot hold the cleanup back.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var causes = await Diagnostics.SaveAsync(api, settings.Namespace, folder, timeout.Token).ConfigureAwait(false);
            foreach (var cause in causes)
            {
                Log.Warning("  " + cause);
            }

            return new TargetFailedException($"{failure.Message}{Environment.NewLine}" +
                $"{(causes.Count > 0 ? "Likely causes above; e" : "E")}vents, object states and pod logs: {LoggedStep.DisplayPath(folder)}/", LoggedStep.Shorten(failure.Message, 100));
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or OperationCanceledException or IOException)
        {
            return new TargetFailedException($"{failure.Message}{Environment.NewLine}Diagnostics could not be read from the cluster: {e.Message}", LoggedStep.Shorten(failure.Message, 100));
        }
    }

    /// <summary>Deletes the cluster; <paramref name="why"/> ("Interrupted", "Creating the cluster failed") when it did not succeed.</summary>
    private void Delete(string cluster, string kubeconfig, string? why)
    {
        Log.Info(why is null ? $"Deleting cluster {cluster} (--keep-cluster keeps it)." : $"{why}: deleting cluster {cluster} (--keep-cluster keeps it).");
        try
        {
            // Not cancellable: this is what Ctrl+C must still do.
            tool.Delete(cluster, kubeconfig, CancellationToken.None);
            File.Delete(kubeconfig);
        }
        catch (Exception e) when (e is TargetFailedException or ToolFailedException)
        {
            Log.Warning($"Deleting {cluster} failed ({e.Message}); {BuildScript.Command} DeleteClusters removes this checkout's leftover clusters.");
        }
    }

    private void PrintKept(string cluster, string kubeconfig)
    {
        Log.Highlight($"Kept cluster {cluster} (--keep-cluster). Reach it with:");
        Log.Highlight($"  export KUBECONFIG={Path.GetFullPath(kubeconfig)}");
        // Not 8080 and 3000: on kind those are the NodePorts' mappings, and a port-forward there fails (helper-123).
        Log.Highlight($"  kubectl -n {settings.Namespace} port-forward svc/{SmokeTest.Gateway} 18080:8080   # the API on 127.0.0.1:18080; svc/frontend 13000:3000, the page");
        if (tool is Kind)
        {
            Log.Highlight("  or, with no port-forward, the NodePorts kind-cluster.yaml maps: http://127.0.0.1:8080 (the API) and http://127.0.0.1:3000 (the page)");
        }

        Log.Highlight($"Delete it with: {tool.DeleteCommand(cluster)} (or {BuildScript.Command} DeleteClusters, every cluster of this checkout)");
    }
}
