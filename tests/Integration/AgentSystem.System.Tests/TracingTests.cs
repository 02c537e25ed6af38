using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace AgentSystem.SystemTests;

/// <summary>
/// One trace from the caller to the worker: the gateway continues the caller's W3C trace context, the orchestrator
/// stores its own span's traceparent with every job (jobs.trace_parent), and the worker runs and logs the job in a span
/// of that same trace.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TracingTests(SystemFixture system)
{
    private static readonly TimeSpan Finish = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LogWait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_traceparent_sent_to_the_gateway_is_continued_and_stored_with_every_job()
    {
        var (traceId, callerSpan) = NewTraceContext();

        var id = await SubmitAsync($"00-{traceId}-{callerSpan}-01", new
        {
            jobs = new[] { new { type = "echo", input = "traced" }, new { type = "wordcount", input = "one two three" } },
        });
        var task = await TaskApi.WaitFinalAsync(system.Api, id, Finish, system.Diagnostics);

        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        var stored = await StoredTraceParentsAsync(id);
        Assert.Equal(2, stored.Count);
        // The same trace, sampled; the parent is the orchestrator's request span (under the gateway's), not the caller's.
        Assert.All(stored, traceParent => Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-01$", traceParent));
        Assert.All(stored, traceParent => Assert.DoesNotContain(callerSpan, traceParent, StringComparison.Ordinal));
        Assert.Single(stored.Distinct(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_request_without_a_traceparent_starts_a_sampled_trace_that_is_stored()
    {
        // A client that sends no trace context at all, whatever listens in this process.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = system.Gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Api-Key", SystemFixture.ApiKey);
        using var response = await client.PostAsJsonAsync(new Uri("/api/tasks", UriKind.Relative), new { jobs = new[] { new { type = "echo", input = "untraced caller" } } });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {text}");
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;

        var stored = await StoredTraceParentsAsync(id);

        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", Assert.Single(stored));
        await TaskApi.WaitFinalAsync(system.Api, id, Finish, system.Diagnostics);
    }

    [Fact]
    public async Task The_worker_logs_the_job_under_the_trace_of_the_request_that_created_it()
    {
        var (traceId, callerSpan) = NewTraceContext();

        // A fail job is rejected by the worker's handler, which logs a warning inside the job's span: a JSON line with
        // the job id, and the trace in its scopes.
        var id = await SubmitAsync($"00-{traceId}-{callerSpan}-01", new { jobs = new[] { new { type = "fail", input = "traced failure" } } });
        var task = await TaskApi.WaitFinalAsync(system.Api, id, Finish, system.Diagnostics);

        Assert.Equal("failed", task.GetProperty("status").GetString());
        var jobId = TaskApi.Job(task, 0).GetProperty("id").GetString()!;
        var storedSpan = Assert.Single(await StoredTraceParentsAsync(id)).Split('-')[2];
        var scopes = await WorkerLogScopesAsync(jobId);
        Assert.Equal(traceId, scopes.GetValueOrDefault("TraceId"));
        // The worker's span is a child of the span whose traceparent the orchestrator stored with the job.
        Assert.Equal(storedSpan, scopes.GetValueOrDefault("ParentId"));
    }

    private static (string TraceId, string SpanId) NewTraceContext() =>
        (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());

    private async Task<string> SubmitAsync(string traceParent, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/tasks", UriKind.Relative)) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        using var response = await system.Api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<List<string>> StoredTraceParentsAsync(string taskId)
    {
        await using var connection = new NpgsqlConnection(system.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT trace_parent FROM jobs WHERE task_id = @id ORDER BY seq", connection);
        command.Parameters.AddWithValue("id", Guid.Parse(taskId));
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Assert.False(reader.IsDBNull(0), $"a job of task {taskId} was stored without a traceparent");
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <summary>The scope values (TraceId, SpanId, ParentId, JobId, ...) of the first worker log line that names the job.</summary>
    private async Task<Dictionary<string, string?>> WorkerLogScopesAsync(string jobId)
    {
        var watch = Stopwatch.StartNew();
        do
        {
            foreach (var worker in system.Workers)
            {
                foreach (var line in worker.RecentOutput.Split(Environment.NewLine))
                {
                    if (line.StartsWith('{') && line.Contains(jobId, StringComparison.OrdinalIgnoreCase) && Scopes(line) is { Count: > 0 } scopes)
                    {
                        return scopes;
                    }
                }
            }

            await Task.Delay(100);
        }
        while (watch.Elapsed < LogWait);

        Assert.Fail($"no worker logged job {jobId} within {LogWait.TotalSeconds} s{Environment.NewLine}{system.Diagnostics()}");
        return [];
    }

    private static Dictionary<string, string?> Scopes(string line)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(line);
            if (!document.RootElement.TryGetProperty("Scopes", out var scopes) || scopes.ValueKind != JsonValueKind.Array)
            {
                return values;
            }

            foreach (var scope in scopes.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object))
            {
                foreach (var property in scope.EnumerateObject().Where(p => p.Name != "Message"))
                {
                    values.TryAdd(property.Name, property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText());
                }
            }
        }
        catch (JsonException)
        {
            // Not one of the JSON console's lines (a wrapped or partial line): skip it.
        }

        return values;
    }
}
