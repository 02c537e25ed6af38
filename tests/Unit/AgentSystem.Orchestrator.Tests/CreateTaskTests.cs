using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Contracts;
using Microsoft.Extensions.Logging;

namespace AgentSystem.Orchestrator.Tests;

public sealed class CreateTaskTests
{
    [Fact]
    public async Task Explicit_jobs_are_202_with_location_and_the_task_as_docs_api_shows_it()
    {
        await using var app = new OrchestratorApp();

        using var response = await app.PostAsync(new { jobs = new[] { new { type = "echo", input = "hello" }, new { type = "wordcount", input = "a b c" } } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var task = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = task.GetProperty("id").GetGuid();
        Assert.Equal($"/tasks/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(["id", "status", "goal", "createdAt", "updatedAt", "jobs"], task.EnumerateObject().Select(p => p.Name));
        Assert.Equal("queued", task.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, task.GetProperty("goal").ValueKind);
        Assert.EndsWith("Z", task.GetProperty("createdAt").GetString(), StringComparison.Ordinal);

        var jobs = task.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["id", "type", "input", "status", "attempts", "result", "error"], jobs[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["echo", "wordcount"], jobs.Select(j => j.GetProperty("type").GetString()));
        Assert.Equal(["hello", "a b c"], jobs.Select(j => j.GetProperty("input").GetString()));
        Assert.All(jobs, j =>
        {
            Assert.Equal("queued", j.GetProperty("status").GetString());
            Assert.Equal(0, j.GetProperty("attempts").GetInt32());
            Assert.Equal(JsonValueKind.Null, j.GetProperty("result").ValueKind);
        });
    }

    [Fact]
    public async Task Task_and_jobs_are_stored_in_one_call_marked_enqueued_then_enqueued_in_one_call()
    {
        await using var app = new OrchestratorApp();

        var task = await app.CreateAsync(("echo", "hello"), ("hash", "abc"), ("sleep", " 250 "));

        var stored = Assert.Single(app.Repository.CreateRequests);
        Assert.Equal(["echo", "hash", "sleep"], stored.Jobs.Select(j => j.Type));
        Assert.Equal("250", stored.Jobs[2].Input);
        Assert.Equal(1, app.Queue.EnqueueCalls);
        var jobIds = task.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(jobIds, app.Queue.Queued.Select(m => m.JobId));
        Assert.All(app.Queue.Queued, m =>
        {
            Assert.Equal(task.GetProperty("id").GetGuid(), m.TaskId);
            Assert.Equal(1, m.Attempt);
            Assert.NotNull(m.EnqueuedAt);
        });
        Assert.All(jobIds, id => Assert.NotNull(app.Repository.EnqueuedAt(id)));
        Assert.Empty(app.Repository.MarkEnqueuedCalls);   // no second write
    }

    [Fact]
    public async Task The_incoming_trace_context_is_stored_and_sent_with_the_jobs()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();
        const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Post, OrchestratorApp.Tasks)
        {
            Content = JsonContent.Create(new { jobs = new[] { new { type = "echo", input = "x" } } }),
        };
        request.Headers.Add("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var traceParent = Assert.Single(app.Repository.CreateRequests).TraceParent;
        Assert.NotNull(traceParent);
        Assert.Equal(TraceId, ActivityContext.Parse(traceParent, null).TraceId.ToHexString());
        Assert.Equal(traceParent, Assert.Single(app.Queue.Queued).TraceParent);
    }

    [Fact]
    public async Task The_gateways_client_id_goes_with_every_job_and_the_task_and_its_absence_means_no_client()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();
        var id = ClientId.Of("key-0 203.0.113.7");
        using var request = new HttpRequestMessage(HttpMethod.Post, OrchestratorApp.Tasks)
        {
            Content = JsonContent.Create(new { jobs = new[] { new { type = "echo", input = "x" }, new { type = "hash", input = "y" } } }),
        };
        request.Headers.Add(ClientId.HeaderName, id);

        using var response = await client.SendAsync(request);
        await app.CreateAsync(("echo", "z"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal([id, id, null], app.Queue.Queued.Select(m => m.Client));
        // Stored with the task too, for the dispatcher's re-sends.
        Assert.Equal([id, null], app.Queue.Queued.Select(m => m.TaskId).Distinct().Select(app.Repository.ClientOf));
    }

    [Fact]
    public async Task A_goal_is_planned_deterministically_into_wordcount_hash_and_echo_of_its_subject()
    {
        await using var app = new OrchestratorApp();

        using var response = await app.PostAsync(new { goal = "Look at: the quick brown fox" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var task = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Look at: the quick brown fox", task.GetProperty("goal").GetString());
        var jobs = task.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["wordcount", "hash", "echo"], jobs.Select(j => j.GetProperty("type").GetString()));
        Assert.All(jobs, j => Assert.Equal("the quick brown fox", j.GetProperty("input").GetString()));
        Assert.Equal(3, app.Queue.Queued.Count);
    }

    [Fact]
    public async Task A_goal_asking_for_a_summary_is_planned_into_an_llm_job()
    {
        await using var app = new OrchestratorApp();

        using var response = await app.PostAsync(new { goal = "Summarise: the quick brown fox" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var task = await response.Content.ReadFromJsonAsync<JsonElement>();
        var job = Assert.Single(task.GetProperty("jobs").EnumerateArray());
        Assert.Equal("llm", job.GetProperty("type").GetString());
        Assert.Equal("Summarise: the quick brown fox", job.GetProperty("input").GetString());
    }

    [Fact]
    public async Task The_deterministic_plan_gets_an_llm_job_when_configured()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?> { ["Planner:IncludeLlmJob"] = "true" });

        using var response = await app.PostAsync(new { goal = "Look at: the quick brown fox" });

        var task = await response.Content.ReadFromJsonAsync<JsonElement>();
        var jobs = task.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["wordcount", "hash", "echo", "llm"], jobs.Select(j => j.GetProperty("type").GetString()));
        Assert.Equal("Look at: the quick brown fox", jobs[3].GetProperty("input").GetString());
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_task_with_200_and_stores_nothing_new()
    {
        await using var app = new OrchestratorApp();
        var body = new { jobs = new[] { new { type = "echo", input = "once" } } };

        using var first = await app.PostAsync(body, idempotencyKey: "key-1");
        using var second = await app.PostAsync(body, idempotencyKey: "key-1");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(id, (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(1, app.Repository.TaskCount);
        Assert.Single(app.Queue.Queued);
        Assert.Equal(1, app.Queue.EnqueueCalls);
    }

    [Fact]
    public async Task The_same_idempotency_key_with_a_goal_returns_the_same_task()
    {
        await using var app = new OrchestratorApp();

        using var first = await app.PostAsync(new { goal = "count: a b" }, idempotencyKey: "goal-key");
        using var second = await app.PostAsync(new { goal = " count: a b " }, idempotencyKey: "goal-key");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(
            (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid(),
            (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        Assert.Equal(1, app.Repository.TaskCount);
    }

    [Fact]
    public async Task Different_keys_make_different_tasks()
    {
        await using var app = new OrchestratorApp();
        var body = new { jobs = new[] { new { type = "echo", input = "x" } } };

        using var first = await app.PostAsync(body, idempotencyKey: "a");
        using var second = await app.PostAsync(body, idempotencyKey: "b");
        using var third = await app.PostAsync(body);

        Assert.All([first, second, third], r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Equal(3, app.Repository.TaskCount);
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_another_request_is_422_and_changes_nothing()
    {
        await using var app = new OrchestratorApp();

        using var first = await app.PostAsync(new { jobs = new[] { new { type = "echo", input = "one" } } }, idempotencyKey: "reused");
        using var second = await app.PostAsync(new { jobs = new[] { new { type = "echo", input = "two" } } }, idempotencyKey: "reused");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(["Idempotency-Key"], await Problems.ReadErrorKeysAsync(second));
        Assert.Equal(1, app.Repository.TaskCount);
        Assert.Single(app.Queue.Queued);
    }

    [Fact]
    public async Task Redis_down_still_gives_202_with_the_task_stored_and_a_warning_and_the_dispatcher_sends_it_later()
    {
        await using var app = new OrchestratorApp();
        app.Queue.Down = true;

        var task = await app.CreateAsync(("echo", "while redis is down"));

        var jobId = task.GetProperty("jobs")[0].GetProperty("id").GetGuid();
        Assert.Equal(1, app.Repository.TaskCount);
        Assert.Empty(app.Queue.Queued);
        Assert.Null(app.Repository.EnqueuedAt(jobId));
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("dispatcher will send them", StringComparison.Ordinal));

        app.Queue.Down = false;
        var result = await app.Dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.Equal(1, result.Sent);
        Assert.Equal(jobId, Assert.Single(app.Queue.Queued).JobId);
        Assert.NotNull(app.Repository.EnqueuedAt(jobId));
    }

    [Fact]
    public async Task A_stalled_redis_gives_202_after_the_enqueue_timeout()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?> { ["Tasks:EnqueueTimeout"] = "00:00:00.200" });
        app.Queue.Stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = app.Server;   // the host starts before the clock does (a start on a busy machine once took 10 s)

        var stopwatch = Stopwatch.StartNew();
        var task = await app.CreateAsync(("echo", "x"));

        // The lower bound is the timeout; the upper one only tells "answered" from "waited for the stalled Redis".
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(30));
        Assert.Equal(1, app.Repository.TaskCount);
        Assert.Null(app.Repository.EnqueuedAt(task.GetProperty("jobs")[0].GetProperty("id").GetGuid()));   // unmarked: the dispatcher's
        app.Queue.Stall.SetResult();
        Assert.Equal("queued", task.GetProperty("status").GetString());
    }

    [Fact]
    public async Task PostgreSQL_down_is_503_and_nothing_is_queued()
    {
        await using var app = new OrchestratorApp();
        app.Repository.FailWith = new TimeoutException("The connection pool has been exhausted (fake).");

        using var response = await app.PostAsync(new { jobs = new[] { new { type = "echo", input = "x" } } });

        await Problems.ReadAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(0, app.Queue.EnqueueCalls);
    }

    [Fact]
    public async Task Every_job_type_is_accepted()
    {
        await using var app = new OrchestratorApp();

        var task = await app.CreateAsync([.. JobTypes.All.Select(type => (type, type == JobTypes.Sleep ? "10" : "input"))]);

        Assert.Equal(JobTypes.All, task.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task The_service_does_not_migrate_at_start()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, app.Migrator.Calls);
    }
}
