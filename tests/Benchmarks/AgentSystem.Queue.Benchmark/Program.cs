using System.Globalization;
using System.Reflection;
using AgentSystem.Build.Engine;
using AgentSystem.Queue;
using AgentSystem.Queue.Benchmark;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

// The job queue's throughput through the project's own RedisJobQueue, wired as the services wire it (AddJobQueue):
// enqueue, claim in batches, ack, each from --clients concurrent callers on one multiplexer. As a reference measured
// in the same run against the same server, redis-benchmark's LPUSH with as many clients, unpipelined and 16 deep,
// so the figures read as ratios on a shared, noisy machine. Each run is repeated --runs times; the table shows medians.
if (BenchmarkOptions.Parse(args) is not { } options)
{
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    [QueueServiceExtensions.RedisConfigurationKey] = options.Redis,
    ["Queue:Prefix"] = options.Prefix,
});
builder.AddJobQueue();
using var host = builder.Build();
await host.StartAsync();
var queue = host.Services.GetRequiredService<IJobQueue>();
var multiplexer = host.Services.GetRequiredService<IConnectionMultiplexer>();
var endpoint = multiplexer.GetEndPoints()[0];
var server = multiplexer.GetServer(endpoint);
await server.PingAsync();

var bench = new QueueBench(queue, options.Clients);
var sample = await bench.WarmUpAsync(options.Batches);
var reference = RedisBenchmark.Find(options, endpoint);

Console.WriteLine(Invariant($"StackExchange.Redis {Version(typeof(ConnectionMultiplexer))}, Redis {server.Version} at {options.Redis}, .NET {Environment.Version}, {Environment.ProcessorCount} cores"));
Console.WriteLine(Invariant($"{options.Jobs} jobs per phase, {options.Clients} concurrent callers on one multiplexer, job messages of {sample.Length} bytes, {options.Runs} runs"));
Console.WriteLine(reference?.Description ?? "No reference: redis-benchmark is not on PATH (Debian: apt-get install redis-tools) and no --reference-image was given.");

var figures = new Dictionary<string, List<double>>(StringComparer.Ordinal);
void Add(string row, double value) => (figures.TryGetValue(row, out var list) ? list : figures[row] = []).Add(value);
var rows = new List<(string Row, string Operation, int Batch)>();
foreach (var batch in options.Batches)
{
    rows.Add(($"enqueue {batch}", "enqueue", batch));
    rows.Add(($"claim {batch}", "claim", batch));
    rows.Add(($"ack {batch}", "ack", 1));
}

for (var run = 1; run <= options.Runs; run++)
{
    var line = new List<string>();
    if (reference is not null)
    {
        var payload = new string('x', sample.Length);
        foreach (var pipeline in RedisBenchmark.Pipelines)
        {
            var rps = reference.LPush(options.Clients, options.Jobs * Math.Min(pipeline, 4), pipeline, options.Prefix + "reference", payload);
            await multiplexer.GetDatabase().KeyDeleteAsync(options.Prefix + "reference");
            Add($"P{pipeline}", rps);
            line.Add(Invariant($"LPUSH -P{pipeline} {rps:0}/s"));
        }
    }

    foreach (var batch in options.Batches)
    {
        var cycle = await bench.CycleAsync(options.Jobs, batch);
        Add($"enqueue {batch}", cycle.Enqueue.JobsPerSecond);
        Add($"claim {batch}", cycle.Claim.JobsPerSecond);
        Add($"ack {batch}", cycle.Ack.JobsPerSecond);
        Add($"enqueue {batch} calls", cycle.Enqueue.CallsPerSecond);
        Add($"claim {batch} calls", cycle.Claim.CallsPerSecond);
        Add($"ack {batch} calls", cycle.Ack.CallsPerSecond);
        line.Add(Invariant($"x{batch}: enqueue {cycle.Enqueue.JobsPerSecond:0}/s, claim {cycle.Claim.JobsPerSecond:0}/s, ack {cycle.Ack.JobsPerSecond:0}/s"));
    }

    Console.WriteLine(Invariant($"run {run}: {string.Join("; ", line)}"));
}

var table = new TextTable("Operation", "Batch", "Calls/s", "Jobs/s", "Range", "÷ LPUSH -P1", "÷ LPUSH -P16");
foreach (var (row, operation, batch) in rows)
{
    var jobs = figures[row];
    table.AddRow(operation, Invariant($"{batch}"), Invariant($"{Median(figures[row + " calls"]):0}"), Invariant($"{Median(jobs):0}"),
        Invariant($"{jobs.Min():0}-{jobs.Max():0}"), Ratio(jobs, "P1"), Ratio(jobs, "P16"));
}

foreach (var pipeline in RedisBenchmark.Pipelines)
{
    if (figures.TryGetValue($"P{pipeline}", out var lpush))
    {
        table.AddRow(Invariant($"redis-benchmark LPUSH -P{pipeline}"), "1", Invariant($"{Median(lpush) / pipeline:0}"), Invariant($"{Median(lpush):0}"),
            Invariant($"{lpush.Min():0}-{lpush.Max():0}"), Ratio(lpush, "P1"), Ratio(lpush, "P16"));
    }
}

Console.WriteLine();
foreach (var line in table.Render())
{
    Console.WriteLine(line);
}

await host.StopAsync();
return 0;

string Ratio(List<double> values, string reference) =>
    figures.TryGetValue(reference, out var lpush) ? Invariant($"{Median(values) / Median(lpush):0.00}") : "-";

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static string Version(Type type) =>
    type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? type.Assembly.GetName().Version?.ToString() ?? "?";

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
