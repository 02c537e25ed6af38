using System.Diagnostics;
using System.Globalization;
using System.Net;
using AgentSystem.Build.Engine;
using AgentSystem.Load.Reports;
using AgentSystem.Queue;
using StackExchange.Redis;

namespace AgentSystem.Load.References;

/// <summary>
/// redis-benchmark (Debian's redis-tools) against the same Redis by the same address as the queue client, so both pay
/// the same network path: from PATH, else from an image that has it, run with host networking. It sends the commands
/// the queue sends: LPUSH of a payload as large as a job message, and the queue's own enqueue and claim scripts by
/// EVALSHA (one job per call, a random job id each), with as many clients, unpipelined and 16 deep; and the enqueue
/// script with as many jobs a call as the end-to-end scenario sends, its yardstick.
/// </summary>
internal sealed class RedisBenchmark
{
    /// <summary>The depth of the pipelined rows (the unpipelined ones are 1).</summary>
    public const int Pipelined = 16;

    private readonly string _fileName;
    private readonly string[] _prefix;
    private readonly string[] _target;

    /// <summary>The image the tools run from, when redis-benchmark is not on PATH.</summary>
    private readonly string? _image;

    private RedisBenchmark(string fileName, string? image, string[] target)
    {
        this._fileName = fileName;
        this._image = image;
        this._prefix = image is null ? [] : DockerRun(image, "redis-benchmark");
        this._target = target;
    }

    /// <summary>docker's arguments that run <paramref name="tool"/> of <paramref name="image"/> on the host's network.</summary>
    private static string[] DockerRun(string image, string tool) => ["run", "--rm", "--network", "host", "--entrypoint", tool, image];

    public static string EnqueueName(int pipeline) => $"redis-benchmark enqueue script -P{pipeline}";

    public static string ClaimName(int pipeline) => $"redis-benchmark claim script -P{pipeline}";

    public static string LPushName(int pipeline) => $"redis-benchmark LPUSH -P{pipeline}";

    /// <summary>The enqueue script with <paramref name="jobs"/> jobs a call: Redis's own limit for queueing jobs sent so.</summary>
    public static string EnqueueManyName(int jobs, int pipeline) => $"redis-benchmark enqueue script, {jobs} jobs a call -P{pipeline}";

    /// <summary>Null when neither redis-benchmark is on PATH nor an image with it was given.</summary>
    public static RedisBenchmark? Find(EndPoint endpoint, string? password, string? image, string docker)
    {
        var (host, port) = endpoint switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => throw new InvalidOperationException($"Cannot give redis-benchmark the endpoint {endpoint}."),
        };
        string[] target = ["-h", host, "-p", port.ToString(CultureInfo.InvariantCulture), .. password is { Length: > 0 } ? new[] { "-a", password, "--no-auth-warning" } : []];
        if (Tools.Find("redis-benchmark") is { } onPath)
        {
            return new RedisBenchmark(onPath, null, target);
        }

        return image is null ? null : new RedisBenchmark(docker, image, target);
    }

    private const string RandomPart = "__rand_int__";

    /// <summary>The fewest requests of a -P1 row (about a second of them on this machine).</summary>
    public const int LeastRequests = 40_000;

    /// <summary>A pipelined row sends this many times a -P1 row's requests (it runs several times as fast).</summary>
    public const int PipelinedRequestFactor = 4;

    /// <summary>
    /// Both scripts' calls once through the client, before any row runs: redis-benchmark would time a command Redis
    /// rejects (keys or arguments that no longer match a script) as readily as one it runs.
    /// </summary>
    public static async Task CheckAsync(IConnectionMultiplexer redis, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var keys = new ReferenceKeys();
        var (enqueue, claim) = await CommandsAsync(redis, keys, "check");
        try
        {
            foreach (var (command, script) in new[] { (enqueue, "enqueue"), (EnqueueMany(enqueue, 2, "check"), "enqueue of many"), (claim, "claim") })
            {
                try
                {
                    await redis.GetDatabase().ExecuteAsync(command[0], [.. command[1..].Select(a => (object)a.Replace(RandomPart, "check", StringComparison.Ordinal))])
                        .WaitAsync(cancellationToken);
                }
                catch (RedisServerException error)
                {
                    throw new InvalidOperationException($"The reference's {script} script call no longer matches the script (Redis: {error.Message}).", error);
                }
            }
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync(keys.All);
        }
    }

    /// <summary>
    /// The reference rows of one pipeline depth: LPUSH, then the enqueue script (which fills the list), then the claim
    /// script (which empties it); with <paramref name="jobsPerCall"/>, then the enqueue script with that many jobs a call,
    /// as many jobs in all as the one-job row (a helper measured the end-to-end scenario's calls of 100 jobs queueing 1.8 to
    /// 2.7 times the jobs of the one-job row it was compared with).
    /// </summary>
    public async Task<IReadOnlyList<ReferenceResult>> RunRowsAsync(IConnectionMultiplexer redis, int pipeline, int clients, int requests, int payloadLength,
        int? jobsPerCall, Action<ReferenceResult> measured, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var keys = new ReferenceKeys();
        // Each message its own (redis-benchmark writes 12 random digits over every __rand_int__), as each job's is: the
        // claim's leases are then as many members of the sorted set, not one.
        var payload = RandomPart + new string('x', Math.Max(0, payloadLength - RandomPart.Length));
        var (enqueue, claim) = await CommandsAsync(redis, keys, payload);
        try
        {
            var count = requests * (pipeline > 1 ? PipelinedRequestFactor : 1);
            // Each row said as it ends: the pipelined rows of a long run took minutes without a line (helper-139).
            ReferenceResult Said(ReferenceResult row)
            {
                measured(row);
                return row;
            }

            var rows = new List<ReferenceResult>
            {
                Said(await RunAsync(LPushName(pipeline), clients, count, pipeline, ["LPUSH", keys.Queue + ":lpush", payload], "LPUSH key message", cancellationToken)),
                Said(await RunAsync(EnqueueName(pipeline), clients, count, pipeline, enqueue,
                    "EVALSHA enqueue (1 job: TIME, SADD, LPUSH, RPUSH to the ring when the lane was empty, ZPOPMIN of no idle waiter)", cancellationToken)),
                Said(await RunAsync(ClaimName(pipeline), clients, count, pipeline, claim,
                    "EVALSHA claim (1 job: TIME, ZREM, the ring's LLEN and LMOVE, RPOP, LLEN, ZADD, LLEN)", cancellationToken)),
            };
            if (jobsPerCall is { } jobs)
            {
                var many = await RunAsync(EnqueueManyName(jobs, pipeline), clients, Math.Max(1, count / jobs), pipeline, EnqueueMany(enqueue, jobs, payload),
                    $"EVALSHA enqueue ({jobs} jobs: TIME, {jobs} SADD, LPUSH of {jobs}, RPUSH to the ring when the lane was empty, ZPOPMIN of no idle waiter)",
                    cancellationToken);
                rows.Add(Said(many with { JobsPerCall = jobs }));
            }

            rows[^1] = rows[^1] with { Then = CliLine(["DEL", .. keys.All.Select(key => key.ToString())]) };
            return rows;
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync(keys.All);
        }
    }

    /// <summary>The keys of one use of the queue's scripts, apart from the queue's own.</summary>
    private sealed class ReferenceKeys
    {
        private readonly string _prefix = $"agentsystem-load-reference:{Guid.NewGuid():N}:";

        public string Queue => _prefix + "queue";
        public string Known => _prefix + "known";
        public string Processing => _prefix + "processing";
        public string Idle => _prefix + "idle";
        public string Ready => _prefix + "ready";
        public string Notify => _prefix + "notify:reference";
        public RedisKey[] All => [Queue, Queue + ":lpush", Known, Processing, Idle, Ready];
    }

    /// <summary>The enqueue and claim calls by EVALSHA (the scripts loaded first), one job each, as the queue makes them.</summary>
    private static async Task<(string[] Enqueue, string[] Claim)> CommandsAsync(IConnectionMultiplexer redis, ReferenceKeys keys, string payload)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var enqueue = Hex(await server.ScriptLoadAsync(QueueScripts.Enqueue));
        var claim = Hex(await server.ScriptLoadAsync(QueueScripts.Claim));
        // The shared lane (client ''), as the queue scenarios' jobs, which no client's request sent.
        return (["EVALSHA", enqueue, "4", keys.Queue, keys.Known, keys.Idle, keys.Ready, "", "1", "job-" + RandomPart, payload],
            ["EVALSHA", claim, "4", keys.Queue, keys.Processing, keys.Idle, keys.Ready, "1", "30000", keys.Notify, int.MaxValue.ToString(CultureInfo.InvariantCulture)]);
    }

    /// <summary>
    /// The one-job enqueue call (its last four arguments: the lane, the count, the job's id and message) with
    /// <paramref name="jobs"/> jobs of the shared lane, each id and message its own.
    /// </summary>
    internal static string[] EnqueueMany(string[] enqueueOne, int jobs, string payload) =>
        [.. enqueueOne[..^4], "", jobs.ToString(CultureInfo.InvariantCulture), .. Enumerable.Repeat<string[]>(["job-" + RandomPart, payload], jobs).SelectMany(pair => pair)];

    private async Task<ReferenceResult> RunAsync(string name, int clients, int requests, int pipeline, string[] command, string description,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(_fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in _prefix.Concat(_target).Concat(
            ["-c", Text(clients), "-n", Text(requests), "-P", Text(pipeline), "-r", "1000000000", "--csv", .. command]))
        {
            info.ArgumentList.Add(argument);
        }

        var commandLine = ShellCommand.Of(info.FileName, info.ArgumentList, secretAfter: "-a", secretAs: "\"$REDIS_PASSWORD\"");
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{_fileName} did not start.");
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            // A long run's rows take minutes: an interrupted run has 30 s to clean up (./build.sh LoadTest).
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        var last = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        var fields = last.Split("\",\"").Select(f => f.Trim('"')).ToArray();
        if (process.ExitCode != 0 || fields.Length < 2 || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var rps))
        {
            throw new InvalidOperationException($"redis-benchmark {string.Join(' ', command.Take(2))} failed (exit {process.ExitCode}): {last} {await error}");
        }

        double? Field(int index) => fields.Length > index && double.TryParse(fields[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
        return new ReferenceResult(name, description, clients, pipeline, rps, Field(4), Field(6), CommandLine: commandLine);
    }

    /// <summary>A redis-cli command line against the same Redis as the rows (a redis-benchmark image has redis-cli too).</summary>
    private string CliLine(string[] command)
    {
        var (fileName, prefix) = _image is null
            ? (Tools.Find("redis-cli") ?? "redis-cli", Array.Empty<string>())
            : (_fileName, DockerRun(_image, "redis-cli"));
        return ShellCommand.Of(fileName, [.. prefix, .. _target, .. command], secretAfter: "-a", secretAs: "\"$REDIS_PASSWORD\"");
    }

    private static string Hex(byte[] sha) => Convert.ToHexStringLower(sha);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
