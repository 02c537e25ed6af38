using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Kubernetes;
using k8s.Models;

namespace AgentSystem.Build.Deploy;

/// <summary>
/// The deployed system answers as its users need: through the gateway (by the API server's service proxy), a task
/// of one job per deterministic type completes with each job's right result, and chat answers.
/// </summary>
public sealed class SmokeTest(ClusterApi api, string ns, TimeSpan deadline, TimeSpan pollInterval)
{
    public const string Gateway = "gateway";
    private const string ApiKeyPrefix = "Gateway__ApiKeys__";

    /// <summary>Job type and input; the expected result is computed here, as the worker must.</summary>
    private static readonly (string Type, string Input)[] Jobs = [("echo", "deployed on a cluster"), ("wordcount", "one two three four five"), ("hash", "agentsystem")];

    public async Task RunAsync(IReadOnlyList<ManifestObject> objects, CancellationToken cancellationToken)
    {
        var port = Port(objects);
        var headers = new Dictionary<string, string> { ["X-Api-Key"] = ApiKey(objects) };
        async Task<(HttpStatusCode Status, JsonElement Body)> Call(HttpMethod method, string path, object? body)
        {
            using var content = body is null ? null : JsonContent.Create(body);
            using var response = await api.ProxyAsync(ns, Gateway, port, method, path, content, headers, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new DeployFailedException($"Smoke test: {method} {path} through the gateway answered {(int)response.StatusCode}: {LoggedStep.Shorten(text, 300)}");
            }

            return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
        }

        var (_, submitted) = await Call(HttpMethod.Post, "/api/tasks", new { jobs = Jobs.Select(j => new { type = j.Type, input = j.Input }) }).ConfigureAwait(false);
        var id = submitted.GetProperty("id").GetString();
        Log.Info($"Smoke test: task {id} submitted with {Jobs.Length} jobs.");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        JsonElement task;
        while (true)
        {
            (_, task) = await Call(HttpMethod.Get, $"/api/tasks/{id}", null).ConfigureAwait(false);
            var status = task.GetProperty("status").GetString();
            if (status is "succeeded" or "failed" or "cancelled")
            {
                break;
            }

            if (watch.Elapsed >= deadline)
            {
                throw new DeployFailedException($"Smoke test: task {id} still '{status}' after {LoggedStep.Elapsed(deadline)}.");
            }

            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }
        var wrong = Jobs.Select((job, i) => (job, actual: task.GetProperty("jobs")[i]))
            .Where(j => j.actual.GetProperty("status").GetString() != "succeeded" || j.actual.GetProperty("result").GetString() != Expected(j.job.Type, j.job.Input))
            .Select(j => $"{j.job.Type}({j.job.Input}) gave {j.actual.GetProperty("status").GetString()} '{j.actual.GetProperty("result")}', expected '{Expected(j.job.Type, j.job.Input)}'")
            .ToList();
        if (task.GetProperty("status").GetString() != "succeeded" || wrong.Count > 0)
        {
            throw new DeployFailedException($"Smoke test: task {id} ended '{task.GetProperty("status").GetString()}': {string.Join("; ", wrong.DefaultIfEmpty("every job right"))}.");
        }

        Log.Info($"Smoke test: task {id} succeeded with the right results in {LoggedStep.Elapsed(watch.Elapsed)}.");

        var (_, chat) = await Call(HttpMethod.Post, "/api/chat", new { messages = new[] { new { role = "user", content = "Hello from the deploy" } }, stream = false }).ConfigureAwait(false);
        var answer = chat.GetProperty("message").GetProperty("content").GetString();
        if (string.IsNullOrWhiteSpace(answer))
        {
            throw new DeployFailedException("Smoke test: chat answered with an empty message.");
        }

        Log.Info($"Smoke test: chat ({chat.GetProperty("provider").GetString()}) answered: {LoggedStep.Shorten(answer, 80)}");
    }

    private static string Expected(string type, string input) => type switch
    {
        "echo" => input,
        "wordcount" => input.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ToString(CultureInfo.InvariantCulture),
        "hash" => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input))),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The gateway Service's port, as rendered.</summary>
    private static int Port(IReadOnlyList<ManifestObject> objects) =>
        objects.Select(o => o.Model).OfType<V1Service>().FirstOrDefault(s => s.Name() == Gateway)?.Spec.Ports[0].Port
        ?? throw new TargetFailedException($"The rendered overlay has no Service '{Gateway}' to smoke-test through.");

    /// <summary>
    /// The first API key of the Secret the gateway's Deployment reads (its name carries the generator's hash), by place,
    /// passing over a blank (revoked) one.
    /// </summary>
    internal static string ApiKey(IReadOnlyList<ManifestObject> objects)
    {
        var deployment = objects.Select(o => o.Model).OfType<V1Deployment>().FirstOrDefault(d => d.Name() == Gateway);
        var secretNames = deployment?.Spec.Template.Spec.Containers.SelectMany(c => c.EnvFrom ?? []).Select(e => e.SecretRef?.Name).OfType<string>().ToHashSet(StringComparer.Ordinal) ?? [];
        var key = objects.Select(o => o.Model).OfType<V1Secret>().Where(s => secretNames.Contains(s.Name()))
            .SelectMany(s => (s.Data ?? new Dictionary<string, byte[]>()).Select(d => (d.Key, Value: Encoding.UTF8.GetString(d.Value)))
                .Concat((s.StringData ?? new Dictionary<string, string>()).Select(d => (d.Key, d.Value))))
            .Where(d => d.Key.StartsWith(ApiKeyPrefix, StringComparison.Ordinal) && !string.IsNullOrWhiteSpace(d.Value))
            .OrderBy(d => int.TryParse(d.Key.AsSpan(ApiKeyPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var place) ? place : int.MaxValue)
            .Select(d => d.Value).FirstOrDefault();
        return key ?? throw new TargetFailedException($"The rendered overlay gives the gateway no API key ({ApiKeyPrefix}0 in a Secret it reads).");
    }
}
