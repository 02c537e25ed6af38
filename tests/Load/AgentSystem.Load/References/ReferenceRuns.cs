using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Load.Harness;
using AgentSystem.Load.Reports;
using AgentSystem.Load.UnderTest;
using AgentSystem.Queue;

namespace AgentSystem.Load.References;

/// <summary>
/// The references of one run, each measured next to the scenario it is the yardstick of: the unpipelined
/// redis-benchmark rows just before enqueue (claim-ack follows it), the pipelined ones just before queue-e2e, wrk just
/// after the http phases, with the gateway warm. Measured all at the start, a reference of a shared machine's quiet
/// minute sat beside scenarios of its busy one (a new user's run: every redis-benchmark row 31 to 45 % below the run
/// before while the scenarios hardly moved), and wrk met a gateway that had not compiled its hot paths yet.
/// </summary>
internal sealed class ReferenceRuns(LoadSystem system, LoadOptions options, Action<string> log)
{
    private readonly Dictionary<int, IReadOnlyList<ReferenceResult>> _redisRows = [];
    private readonly Lazy<RedisBenchmark?> _benchmark = new(() => Find(system, options, log));
    private ReferenceResult? _wrk;

    // The pipeline depths measured after every scenario, beside none of them.
    private readonly List<int> _besideNone = [];

    /// <summary>About a second per -P1 row at least: at CI's 3 s phases a quarter second of requests moved by half from run to run.</summary>
    private int Requests => (int)Math.Max(RedisBenchmark.LeastRequests, 20_000 * options.Duration.TotalSeconds / 5);

    /// <summary>Before any scenario: a reference call that no longer matches its script fails the run before its phases, not after some.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (_benchmark.Value is not null)
        {
            await RedisBenchmark.CheckAsync(system.Redis, cancellationToken);
        }
    }

    /// <summary>The rows of one pipeline depth (1 or <see cref="RedisBenchmark.Pipelined"/>), once a run.</summary>
    public async Task RedisRowsAsync(int pipeline, CancellationToken cancellationToken)
    {
        if (_redisRows.ContainsKey(pipeline) || _benchmark.Value is not { } benchmark)
        {
            return;
        }

        log($"Reference: redis-benchmark, {options.Clients} clients, -P{pipeline}");
        // The end-to-end scenario's yardstick runs with the rows before it.
        var jobsPerCall = pipeline == RedisBenchmark.Pipelined ? Scenarios.EndToEndScenarios.JobsPerCall : (int?)null;
        _redisRows[pipeline] = await benchmark.RunRowsAsync(system.Redis, pipeline, options.Clients, Requests, MessageLength, jobsPerCall,
            row => log($"  {row.Name}: {Figures.Format(row.Rps)}/s" + (row.JobsPerCall > 1 ? $" ({Figures.Format(row.Jobs)} jobs/s)" : "")), cancellationToken);
    }

    /// <summary>After every scenario: the redis-benchmark rows no scenario of this run had beside it, for the table.</summary>
    public async Task RemainingRedisRowsAsync(CancellationToken cancellationToken)
    {
        foreach (var pipeline in new[] { 1, RedisBenchmark.Pipelined }.Where(p => !_redisRows.ContainsKey(p)))
        {
            await RedisRowsAsync(pipeline, cancellationToken);
            _besideNone.Add(pipeline);
        }
    }

    /// <summary>wrk against the gateway's /healthz (the gateway runs only for the http scenarios).</summary>
    public async Task WrkAsync(CancellationToken cancellationToken)
    {
        log($"Reference: wrk, {options.Connections} connections, {options.Duration.TotalSeconds:0.#} s");
        _wrk = await Wrk.RunAsync(new Uri(system.Gateway.BaseAddress, "/healthz"), options.Connections, options.Duration, cancellationToken);
        if (_wrk is null)
        {
            log("No wrk reference: wrk is not on PATH (Debian: apt-get install wrk).");
        }
    }

    public ReferenceSummary Summary()
    {
        var rows = _redisRows.OrderBy(pair => pair.Key).SelectMany(pair => pair.Value).ToList();
        return new ReferenceSummary(rows, _wrk is null ? [] : [_wrk], rows.Count == 0 ? null : Conditions(Requests, _besideNone));
    }

    /// <summary>How the redis-benchmark rows ran, for the note under the reference table.</summary>
    /// <param name="besideNone">The pipeline depths measured after the last phase, yardsticks of no scenario of the run.</param>
    internal static string Conditions(int requests, IReadOnlyList<int> besideNone) =>
        $"redis-benchmark sent {requests:N0} requests a -P1 row, {requests * RedisBenchmark.PipelinedRequestFactor:N0} a pipelined one, "
        + $"messages of {MessageLength} bytes as the queue stores them, each its own, to the Redis under test (AOF, fsync every second). "
        + "Each reference ran next to the scenario it is the yardstick of (the -P1 rows before enqueue, which claim-ack follows, the -P16 rows before "
        + "queue-e2e, wrk after the http phases), so that both met the machine of the same minute"
        + (besideNone.Count == 0 ? ". " : $"; the {string.Join(" and ", besideNone.Select(p => $"-P{p}"))} rows, yardsticks of no scenario of this run, ran after its last phase. ")
        + "A scenario's callers share one connection, which pipelines their calls, so a scenario can pass a -P1 row. "
        + $"Each row's command line is in {LoadReport.ReferenceCommandsFile} beside this report.";

    private static RedisBenchmark? Find(LoadSystem system, LoadOptions options, Action<string> log)
    {
        var benchmark = RedisBenchmark.Find(system.Redis.GetEndPoints()[0], StackExchange.Redis.ConfigurationOptions.Parse(system.RedisConfiguration).Password,
            options.ReferenceImage, options.Docker);
        if (benchmark is null)
        {
            log("No redis-benchmark reference: it is not on PATH (Debian: apt-get install redis-tools) and no --reference-image was given.");
        }

        return benchmark;
    }

    /// <summary>The length of a job message as the queue stores it, so redis-benchmark pushes as much.</summary>
    private static readonly int MessageLength = JsonSerializer.Serialize(
        new JobMessage(Guid.NewGuid(), Guid.NewGuid(), JobTypes.Echo, Scenarios.StoredWork.Input, 1, null, DateTimeOffset.UtcNow), QueueJsonContext.Default.JobMessage).Length;
}
