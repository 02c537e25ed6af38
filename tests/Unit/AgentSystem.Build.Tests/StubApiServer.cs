using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSystem.Build.Tests;

/// <summary>
/// A Kubernetes API server on 127.0.0.1 (a free port) answering what a deploy asks: server-side applies (kept),
/// lists of Deployments, StatefulSets, Jobs, Pods and Events made from what was applied, pod logs, and the gateway
/// behind the service proxy (tasks run as the worker runs them, chat). Every request is recorded.
/// </summary>
internal sealed class StubApiServer : IAsyncDisposable
{
    public const string ApiKey = "dev-only-api-key-not-a-secret";
    private const string Namespace = "/namespaces/agentsystem/";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, JsonObject> _applied = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonArray> _tasks = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Whether a workload ("Deployment/gateway") is ready now; pods of one that is not crash-loop.</summary>
    public Func<string, bool> Ready { get; set; } = _ => true;

    /// <summary>The worker miscounts words: the smoke test must notice.</summary>
    public bool WrongResults { get; set; }

    /// <summary>Called with each request's "METHOD /path" before it is answered.</summary>
    public Action<string>? OnRequest { get; set; }

    public string Url { get; }

    private StubApiServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        Url = _app.Urls.Single();
    }

    public static StubApiServer Start() => new();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    public List<string> Applied => Requests.Where(r => r.StartsWith("PATCH", StringComparison.Ordinal)).ToList();

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!;
        var line = $"{context.Request.Method} {path}{context.Request.QueryString}";
        Requests.Enqueue(line);
        OnRequest?.Invoke(line);
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var answer = Answer(context, path, body);
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = answer.Text.StartsWith('{') ? "application/json" : "text/plain";
        await context.Response.WriteAsync(answer.Text);
    }

    private (int Status, string Text) Answer(HttpContext context, string path, string body)
    {
        if (path.Contains("/proxy/", StringComparison.Ordinal))
        {
            return Gateway(context, path[(path.IndexOf("/proxy/", StringComparison.Ordinal) + 6)..], body);
        }

        if (context.Request.Method == "PATCH")
        {
            if (context.Request.ContentType?.StartsWith("application/apply-patch+yaml", StringComparison.Ordinal) != true)
            {
                return (415, "not an apply patch");
            }

            var applied = JsonNode.Parse(body)!.AsObject();
            _applied[$"{applied["kind"]}/{applied["metadata"]!["name"]}"] = applied;
            return (200, body);
        }
        if (path.EndsWith("/log", StringComparison.Ordinal))
        {
            return (200, $"log of {path.Split('/')[^2]}/{context.Request.Query["container"]}{(context.Request.Query["previous"] == "true" ? " (previous)" : "")}");
        }

        return path.Split('/')[^1] switch
        {
            "deployments" when path.Contains(Namespace, StringComparison.Ordinal) => (200, List("Deployment", Deployment)),
            "statefulsets" when path.Contains(Namespace, StringComparison.Ordinal) => (200, List("StatefulSet", StatefulSet)),
            "jobs" when path.Contains(Namespace, StringComparison.Ordinal) => (200, List("Job", Job)),
            "pods" when path.Contains(Namespace, StringComparison.Ordinal) => (200, Pods()),
            "events" when path.Contains(Namespace, StringComparison.Ordinal) => (200, Events()),
            _ => (404, """{"kind":"Status","status":"Failure","reason":"NotFound","code":404}"""),
        };
    }

    private IEnumerable<(string Key, JsonObject Item)> Workloads(params string[] kinds) =>
        _applied.Where(a => kinds.Contains(a.Key.Split('/')[0])).OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => (a.Key, a.Value));

    private string List(string kind, Func<string, JsonObject, JsonObject> status)
    {
        var items = new JsonArray(Workloads(kind).Select(w => (JsonNode)status(w.Key, (JsonObject)w.Item.DeepClone())).ToArray());
        return new JsonObject { ["kind"] = kind + "List", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["items"] = items }.ToJsonString();
    }

    private JsonObject Deployment(string key, JsonObject item)
    {
        item["metadata"]!["generation"] = 1;
        var ready = Ready(key) ? 1 : 0;
        item["status"] = new JsonObject { ["observedGeneration"] = 1, ["replicas"] = 1, ["updatedReplicas"] = 1, ["readyReplicas"] = ready };
        return item;
    }

    private JsonObject StatefulSet(string key, JsonObject item)
    {
        item["status"] = new JsonObject { ["replicas"] = 1, ["readyReplicas"] = Ready(key) ? 1 : 0 };
        return item;
    }

    private JsonObject Job(string key, JsonObject item)
    {
        item["status"] = Ready(key) ? new JsonObject { ["succeeded"] = 1 } : new JsonObject { ["active"] = 1 };
        return item;
    }

    /// <summary>One pod per workload: its containers running, or crash-looping while the workload is not ready.</summary>
    private string Pods()
    {
        var pods = Workloads("Deployment", "StatefulSet", "Job").Select(w =>
        {
            var ready = Ready(w.Key);
            var containers = w.Item["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c!["name"]!.GetValue<string>(),
                ["image"] = c["image"]!.GetValue<string>(),
                ["ready"] = ready,
                ["restartCount"] = ready ? 0 : 3,
                ["state"] = ready ? new JsonObject { ["running"] = new JsonObject() }
                    : new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "CrashLoopBackOff", ["message"] = "back-off 40s restarting failed container" } },
                ["lastState"] = ready ? new JsonObject() : new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 1, ["reason"] = "Error" } },
            }).ToArray();
            return (JsonNode)new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = PodName(w.Key), ["namespace"] = "agentsystem" },
                ["status"] = new JsonObject { ["phase"] = "Running", ["containerStatuses"] = new JsonArray(containers) },
            };
        }).ToArray();
        return new JsonObject { ["kind"] = "PodList", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["items"] = new JsonArray(pods) }.ToJsonString();
    }

    private string Events()
    {
        var events = Workloads("Deployment", "StatefulSet", "Job").Where(w => !Ready(w.Key)).Select(w => (JsonNode)new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = PodName(w.Key) + ".backoff", ["namespace"] = "agentsystem" },
            ["involvedObject"] = new JsonObject { ["kind"] = "Pod", ["name"] = PodName(w.Key) },
            ["type"] = "Warning",
            ["reason"] = "BackOff",
            ["message"] = "Back-off restarting failed container",
            ["lastTimestamp"] = "2026-12-01T06:00:00Z",
        }).ToArray();
        return new JsonObject { ["kind"] = "EventList", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["items"] = new JsonArray(events) }.ToJsonString();
    }

    private static string PodName(string key) => key.Split('/')[1] + "-0";

    /// <summary>The gateway's API as the smoke test uses it; a task is running when first read, then done.</summary>
    private (int Status, string Text) Gateway(HttpContext context, string path, string body)
    {
        if (context.Request.Headers["X-Api-Key"] != ApiKey)
        {
            return (401, """{"title":"API key required"}""");
        }

        if (path == "/api/tasks" && context.Request.Method == "POST")
        {
            var id = $"task-{_tasks.Count + 1}";
            _tasks[id] = JsonNode.Parse(body)!["jobs"]!.AsArray();
            return (202, new JsonObject { ["id"] = id, ["status"] = "queued" }.ToJsonString());
        }
        if (path.StartsWith("/api/tasks/", StringComparison.Ordinal) && _tasks.TryGetValue(path.Split('/')[^1], out var jobs))
        {
            var reads = Requests.Count(r => r.EndsWith(path, StringComparison.Ordinal));
            var done = reads > 1;
            var results = jobs.Select(j => (JsonNode)new JsonObject
            {
                ["type"] = j!["type"]!.GetValue<string>(),
                ["status"] = done ? "succeeded" : "queued",
                ["result"] = done ? Run(j["type"]!.GetValue<string>(), j["input"]!.GetValue<string>()) : null,
            }).ToArray();
            return (200, new JsonObject { ["id"] = path.Split('/')[^1], ["status"] = done ? "succeeded" : "running", ["jobs"] = new JsonArray(results) }.ToJsonString());
        }
        if (path == "/api/chat" && context.Request.Method == "POST")
        {
            return (200, """{"conversationId":"c1","provider":"offline","message":{"role":"assistant","content":"Hello! (offline provider)"}}""");
        }

        return (404, """{"title":"Not Found"}""");
    }

    private string Run(string type, string input) => type switch
    {
        "echo" => input,
        "wordcount" => WrongResults ? "0" : input.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ToString(CultureInfo.InvariantCulture),
        "hash" => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input))),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
