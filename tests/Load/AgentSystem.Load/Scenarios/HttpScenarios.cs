using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentSystem.Load.Harness;
using AgentSystem.Load.References;
using AgentSystem.Load.UnderTest;

namespace AgentSystem.Load.Scenarios;

/// <summary>
/// Scenario 4, through the HTTP API: tasks of five echo jobs posted to the gateway (which proxies to the orchestrator,
/// which stores them and enqueues their jobs), run by the workers and stored. Latency is the request's, from its
/// scheduled start to the 202; afterwards every accepted task must be final and succeeded in PostgreSQL, and the time to
/// that is reported beside it. The maximum with as many connections as wrk uses, then the latency at a rate.
/// </summary>
internal sealed class HttpScenarios(LoadSystem system, LoadOptions options)
{
    public const string Max = LoadArguments.Http;
    public const string AtRate = Max + LoadArguments.OpenPhaseSuffix;

    public const int JobsPerTask = 5;

    private static readonly byte[] Body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        jobs = Enumerable.Range(0, JobsPerTask).Select(_ => new { type = "echo", input = StoredWork.Input }),
    }));

    private readonly StoredWork _stored = new(system.Database);

    public Scenario Maximum() => Build(Max, Simulation.KeepConstant(options.Connections, options.Duration), options.Connections,
        $"POST /api/tasks ({JobsPerTask} echo jobs) through the gateway from {options.Connections} connections, each waiting for its answer");

    public Scenario Rate(double rate) => Build(AtRate, Simulation.Inject(rate, TimeSpan.FromSeconds(1), options.Duration), 512,
        $"POST /api/tasks ({JobsPerTask} echo jobs) through the gateway at a constant rate; latency from the scheduled start");

    private Scenario Build(string name, LoadSimulation simulation, int connections, string description)
    {
        var submitted = new ConcurrentDictionary<Guid, DateTimeOffset>();
        HttpClient? http = null;
        return new Scenario(name, async context =>
        {
            using var content = new ByteArrayContent(Body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http!.PostAsync(new Uri("/api/tasks", UriKind.Relative), content, context.CancellationToken);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return Response.Fail($"HTTP {(int)response.StatusCode}");
            }

            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(context.CancellationToken), cancellationToken: context.CancellationToken);
            if (!context.WarmUp)
            {
                submitted[json.RootElement.GetProperty("id").GetGuid()] = context.ScheduledAt;
            }

            return Response.Ok();
        })
        {
            Description = description + $"; {options.Workers} worker processes",
            Unit = "tasks",
            StepUnit = $"requests of 1 task of {JobsPerTask} jobs",
            WarmUp = options.WarmUp,
            Simulations = [simulation],
            Thresholds = Threshold.Loose(simulation, closedFloor: 5),
            Reference = Wrk.Name(options.Connections),
            Init = _ =>
            {
                http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
                {
                    BaseAddress = system.Gateway.BaseAddress,
                    Timeout = TimeSpan.FromSeconds(30),
                };
                http.DefaultRequestHeaders.Add("X-Api-Key", LoadSystem.ApiKey);
                return Task.CompletedTask;
            },
            Verify = cancellationToken => VerifyAsync(submitted, cancellationToken),
            Clean = _ =>
            {
                http?.Dispose();
                return Task.CompletedTask;
            },
        };
    }

    /// <summary>Every accepted task final and succeeded, with the p99 from submission to that.</summary>
    private async Task<IReadOnlyList<CheckResult>> VerifyAsync(ConcurrentDictionary<Guid, DateTimeOffset> submitted, CancellationToken cancellationToken)
    {
        var tasks = submitted.Keys.ToList();
        var rows = await _stored.ReadTasksAsync(tasks, cancellationToken);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (rows.Any(row => !StoredWork.IsFinal(row.Status)) && watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            rows = await _stored.ReadTasksAsync(tasks, cancellationToken);
        }

        var succeeded = rows.Where(row => row.Status == "succeeded").ToList();
        var latency = Latency.NewHistogram();
        foreach (var (id, _, updatedAt) in succeeded)
        {
            latency.RecordValue(Latency.Microseconds(updatedAt - submitted[id]));
        }

        var summary = new LatencySummary(latency);
        return
        [
            new("every accepted task succeeded and stored", succeeded.Count == tasks.Count,
                $"{Figures.Format(succeeded.Count, decimals: false)} of {Figures.Format(tasks.Count, decimals: false)}"),
            CheckResult.Report("submitted to succeeded",
                $"p50 {Figures.Format(summary.P50)} ms, p99 {Figures.Format(summary.P99)} ms, max {Figures.Format(summary.Max)} ms"),
        ];
    }
}
