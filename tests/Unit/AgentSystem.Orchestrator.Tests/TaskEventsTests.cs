using System.Net;
using System.Text.Json;
using AgentSystem.Contracts;

namespace AgentSystem.Orchestrator.Tests;

public sealed class TaskEventsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_stream_sends_the_task_at_once_then_each_change_and_ends_after_the_final_status()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"), ("hash", "b"));
        var id = created.GetProperty("id").GetGuid();
        var jobs = created.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
        using var client = app.CreateClient();
        using var cancel = new CancellationTokenSource(Patience);

        using var response = await client.GetAsync(OrchestratorApp.TaskUri(id, "/events"), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync(cancel.Token));

        var first = await events.NextAsync(cancel.Token);
        Assert.NotNull(first);
        Assert.Equal("task", first.Event);
        Assert.Equal(id, first.Data.GetProperty("id").GetGuid());
        Assert.Equal("queued", first.Data.GetProperty("status").GetString());
        Assert.Equal(2, first.Data.GetProperty("jobs").GetArrayLength());

        app.Repository.SetJob(jobs[0], JobState.Running);
        var second = await events.NextAsync(cancel.Token);
        Assert.NotNull(second);
        Assert.Equal("running", second.Data.GetProperty("status").GetString());
        Assert.Equal("running", second.Data.GetProperty("jobs")[0].GetProperty("status").GetString());

        app.Repository.SetJob(jobs[0], JobState.Succeeded, result: "a");
        var third = await events.NextAsync(cancel.Token);
        Assert.NotNull(third);
        Assert.Equal("a", third.Data.GetProperty("jobs")[0].GetProperty("result").GetString());

        app.Repository.SetJob(jobs[1], JobState.Succeeded, result: "hash");
        var last = await events.NextAsync(cancel.Token);
        Assert.NotNull(last);
        Assert.Equal("succeeded", last.Data.GetProperty("status").GetString());

        Assert.Null(await events.NextAsync(cancel.Token));
    }

    [Fact]
    public async Task Nothing_is_sent_again_while_nothing_changes()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"));
        var id = created.GetProperty("id").GetGuid();
        using var client = app.CreateClient();
        using var cancel = new CancellationTokenSource(Patience);
        using var response = await client.GetAsync(OrchestratorApp.TaskUri(id, "/events"), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        Assert.NotNull(await events.NextAsync(cancel.Token));

        // Many polls (20 ms apart) without a change, then one change: the next event is that change.
        var polls = app.Repository.GetCalls;
        await WaitUntilAsync(() => app.Repository.GetCalls >= polls + 5);
        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Failed, error: "boom");

        var next = await events.NextAsync(cancel.Token);
        Assert.NotNull(next);
        Assert.Equal("failed", next.Data.GetProperty("status").GetString());
        Assert.Equal("boom", next.Data.GetProperty("jobs")[0].GetProperty("error").GetString());
        Assert.Null(await events.NextAsync(cancel.Token));
    }

    [Fact]
    public async Task A_final_task_gives_one_event_and_the_end()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"));
        var id = created.GetProperty("id").GetGuid();
        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Succeeded, result: "a");
        using var client = app.CreateClient();
        using var cancel = new CancellationTokenSource(Patience);

        using var response = await client.GetAsync(OrchestratorApp.TaskUri(id, "/events"), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync(cancel.Token));

        var only = await events.NextAsync(cancel.Token);
        Assert.NotNull(only);
        Assert.Equal("succeeded", only.Data.GetProperty("status").GetString());
        Assert.Null(await events.NextAsync(cancel.Token));
    }

    [Fact]
    public async Task The_stream_stops_polling_when_the_client_goes_away()
    {
        await using var app = new OrchestratorApp();
        var id = (await app.CreateAsync(("echo", "a"))).GetProperty("id").GetGuid();
        using var client = app.CreateClient();
        using (var cancel = new CancellationTokenSource(Patience))
        {
            using var response = await client.GetAsync(OrchestratorApp.TaskUri(id, "/events"), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            using var events = new SseReader(await response.Content.ReadAsStreamAsync(cancel.Token));
            Assert.NotNull(await events.NextAsync(cancel.Token));
            var polls = app.Repository.GetCalls;
            await WaitUntilAsync(() => app.Repository.GetCalls >= polls + 2);
        }

        // Give the server a moment to see the abort, then the polls stop.
        await Task.Delay(200);
        var after = app.Repository.GetCalls;
        await Task.Delay(300);
        Assert.Equal(after, app.Repository.GetCalls);
    }

    [Fact]
    public async Task A_quiet_stream_sends_keep_alive_comments()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?> { ["Events:Heartbeat"] = "00:00:00.050" });
        var id = (await app.CreateAsync(("echo", "a"))).GetProperty("id").GetGuid();
        using var client = app.CreateClient();
        using var cancel = new CancellationTokenSource(Patience);
        using var response = await client.GetAsync(OrchestratorApp.TaskUri(id, "/events"), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));

        string? line;
        do
        {
            line = await reader.ReadLineAsync(cancel.Token);
        }
        while (line is not null && !line.StartsWith(':'));

        Assert.Equal(": keep-alive", line);
    }

    [Fact]
    public async Task Events_of_an_unknown_task_is_404_problem()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(OrchestratorApp.TaskUri(Guid.NewGuid(), "/events"));

        await Problems.ReadAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_store_failure_mid_stream_ends_the_stream()
    {
        await using var app = new OrchestratorApp();
        var id = (await app.CreateAsync(("echo", "a"))).GetProperty("id").GetGuid();
        using var client = app.CreateClient();
        using var cancel = new CancellationTokenSource(Patience);
        using var response = await client.GetAsync(OrchestratorApp.TaskUri(id, "/events"), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        Assert.NotNull(await events.NextAsync(cancel.Token));

        app.Repository.FailWith = new TimeoutException("fake");

        Assert.Null(await events.NextAsync(cancel.Token));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true in time.");
            await Task.Delay(10);
        }
    }

    private sealed record SseEvent(string? Event, JsonElement Data);

    /// <summary>Reads server-sent events (event and data fields; comments skipped).</summary>
    private sealed class SseReader(Stream stream) : IDisposable
    {
        private readonly StreamReader _reader = new(stream);

        public async Task<SseEvent?> NextAsync(CancellationToken cancellationToken)
        {
            string? name = null;
            var data = new List<string>();
            while (await _reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Count > 0)
                    {
                        using var document = JsonDocument.Parse(string.Join('\n', data));
                        return new SseEvent(name, document.RootElement.Clone());
                    }

                    continue;
                }

                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Add(line["data: ".Length..]);
                }
            }

            return null;
        }

        public void Dispose() => _reader.Dispose();
    }
}
