using System.Net;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Queue;

namespace AgentSystem.Orchestrator.Tests;

public sealed class TaskEventsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_stream_sends_the_task_at_once_then_each_change_and_the_task_again_once_final()
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
        Assert.Equal("change", second.Event);
        Assert.Equal("running", second.Data.GetProperty("status").GetString());
        Assert.True(second.Data.TryGetProperty("updatedAt", out _));
        var started = Assert.Single(second.Data.GetProperty("jobs").EnumerateArray());
        Assert.Equal(jobs[0], started.GetProperty("id").GetGuid());
        Assert.Equal("running", started.GetProperty("status").GetString());
        Assert.False(started.TryGetProperty("input", out _));   // a job's type and input never change

        app.Repository.SetJob(jobs[0], JobState.Succeeded, result: "a");
        var third = await events.NextAsync(cancel.Token);
        Assert.NotNull(third);
        Assert.Equal("change", third.Event);
        var done = Assert.Single(third.Data.GetProperty("jobs").EnumerateArray());
        Assert.Equal(("a", 1), (done.GetProperty("result").GetString(), done.GetProperty("attempts").GetInt32()));

        app.Repository.SetJob(jobs[1], JobState.Succeeded, result: "hash");
        var last = await events.NextAsync(cancel.Token);
        Assert.NotNull(last);
        Assert.Equal("task", last.Event);   // the whole task, once final
        Assert.Equal("succeeded", last.Data.GetProperty("status").GetString());
        Assert.Equal(["a", "hash"], last.Data.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("result").GetString()));

        Assert.Null(await events.NextAsync(cancel.Token));
    }

    [Fact]
    public async Task A_large_task_whose_jobs_finish_one_by_one_costs_a_stream_about_twice_its_size()
    {
        // Whole-task events at every change sent 96.6 MB to one stream for such a task of 1 MB.
        await using var app = new OrchestratorApp();
        var inputs = Enumerable.Range(0, 100).Select(i => new string((char)('a' + (i % 26)), 10_000)).ToArray();
        var created = await app.CreateAsync([.. inputs.Select(input => ("echo", input))]);
        var jobs = created.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
        await using var stream = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());
        var first = await stream.NextAsync();
        Assert.NotNull(first);
        var merged = ToDictionary(first.Data);
        var bytes = (long)first.Text.Length;

        for (var i = 0; i < jobs.Count; i++)
        {
            app.Repository.SetJob(jobs[i], JobState.Succeeded, result: inputs[i]);
            var next = await stream.NextAsync();
            Assert.NotNull(next);
            bytes += next.Text.Length;
            if (i < jobs.Count - 1)
            {
                Assert.Equal("change", next.Event);
                var job = Assert.Single(next.Data.GetProperty("jobs").EnumerateArray());
                merged[job.GetProperty("id").GetGuid()] = job.GetProperty("result").GetString();
            }
            else
            {
                Assert.Equal("task", next.Event);
                Assert.Equal(merged.Keys.Take(jobs.Count - 1), jobs.Take(jobs.Count - 1));
                Assert.Equal([.. merged.Values.Take(jobs.Count - 1)], ToDictionary(next.Data).Values.Take(jobs.Count - 1));
                // Read again without them, the inputs of the last event are those of the first read.
                Assert.Equal(inputs, next.Data.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("input").GetString()));
            }
        }

        Assert.Null(await stream.NextAsync());
        var reads = app.Repository.ChangedVersions.ToList();
        Assert.False(reads[0].WithoutInputs);
        Assert.Contains(reads, read => read.WithoutInputs);
        Assert.All(reads.Where(read => !read.WithoutInputs), read => Assert.Null(read.UpdatedAt));
        // The inputs in the first event, each result in its change, both in the last: twice the finished task's 2 MB.
        Assert.InRange(bytes, 4_000_000, 4_200_000);
        // Read from the store: each input and each result once (1 + 1 MB). Each change read every finished job's result
        // again before, 51.5 MB in all.
        Assert.Equal(99, reads[^1].SettledJobs?.Count);
        Assert.InRange(app.Repository.ChangedTextRead, 2_000_000, 2_100_000);
    }

    [Fact]
    public async Task Streams_of_one_task_sent_the_same_version_get_the_same_change()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"), ("echo", "b"));
        var jobs = created.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
        await using var early = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());
        Assert.NotNull(await early.NextAsync());
        app.Repository.SetJob(jobs[0], JobState.Succeeded, result: "a");
        var first = await early.NextAsync();
        await using var late = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());
        Assert.Equal("task", (await late.NextAsync())?.Event);   // sent the version with job 0 done

        app.Repository.SetJob(jobs[1], JobState.Running);
        var (fromEarly, fromLate) = (await early.NextAsync(), await late.NextAsync());

        Assert.Equal("a", Assert.Single(first!.Data.GetProperty("jobs").EnumerateArray()).GetProperty("result").GetString());
        Assert.Equal(fromEarly!.Text, fromLate!.Text);   // both were sent the same version before: one change
        Assert.Equal(jobs[1], Assert.Single(fromLate.Data.GetProperty("jobs").EnumerateArray()).GetProperty("id").GetGuid());
    }

    private static Dictionary<Guid, string?> ToDictionary(JsonElement task) =>
        task.GetProperty("jobs").EnumerateArray().ToDictionary(j => j.GetProperty("id").GetGuid(), j => j.GetProperty("result").GetString());

    [Fact]
    public async Task A_signal_without_a_change_sends_nothing_and_the_next_event_is_the_next_change()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"));
        var id = created.GetProperty("id").GetGuid();
        var job = created.GetProperty("jobs")[0].GetProperty("id").GetGuid();
        await using var stream = await EventStream.OpenAsync(app, id);
        Assert.NotNull(await stream.NextAsync());

        var reads = app.Repository.GetChangedCalls;
        app.Signals.Publish(TaskSignal.Changed, job);
        await WaitUntilAsync(() => app.Repository.GetChangedCalls > reads);
        app.Repository.SetJob(job, JobState.Failed, error: "boom");

        var next = await stream.NextAsync();
        Assert.NotNull(next);
        Assert.Equal("failed", next.Data.GetProperty("status").GetString());
        Assert.Equal("boom", next.Data.GetProperty("jobs")[0].GetProperty("error").GetString());
        Assert.Null(await stream.NextAsync());
    }

    [Fact]
    public async Task A_final_task_gives_one_event_and_the_end()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"));
        var id = created.GetProperty("id").GetGuid();
        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Succeeded, result: "a");
        await using var stream = await EventStream.OpenAsync(app, id);

        var only = await stream.NextAsync();
        Assert.NotNull(only);
        Assert.Equal("succeeded", only.Data.GetProperty("status").GetString());
        Assert.Null(await stream.NextAsync());
    }

    [Fact]
    public async Task The_stream_escapes_text_no_more_than_the_apis_answers_do()
    {
        // The strict default encoder wrote each '<' as six bytes: 64 KiB of them became 384 KiB per event.
        await using var app = new OrchestratorApp();
        const string Text = "<b>&'é";
        var created = await app.CreateAsync(("echo", Text));
        var id = created.GetProperty("id").GetGuid();
        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Succeeded, result: Text);
        await using var stream = await EventStream.OpenAsync(app, id);

        var only = await stream.NextAsync();

        Assert.NotNull(only);
        Assert.Contains($"\"input\":\"{Text}\"", only.Text, StringComparison.Ordinal);
        Assert.Contains($"\"result\":\"{Text}\"", only.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streams_read_nothing_themselves_and_a_closed_one_stops_being_watched()
    {
        await using var app = new OrchestratorApp();
        var ids = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add((await app.CreateAsync(("echo", "a"))).GetProperty("id").GetGuid());
        }

        var streams = await Task.WhenAll(ids.Concat(ids).Select(id => EventStream.OpenAsync(app, id)));
        foreach (var stream in streams)
        {
            Assert.NotNull(await stream.NextAsync());
        }

        Assert.Equal(20, app.Hub.Watched);
        Assert.Equal(0, app.Repository.GetCalls);   // every read goes through the hub, batched
        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }

        await WaitUntilAsync(() => app.Hub.Watched == 0);
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
        Assert.Equal(0, app.Hub.Watched);
    }

    [Fact]
    public async Task The_store_down_before_the_stream_starts_is_a_503_problem()
    {
        await using var app = new OrchestratorApp();
        var id = (await app.CreateAsync(("echo", "a"))).GetProperty("id").GetGuid();
        app.Repository.FailWith = new TimeoutException("fake");
        using var client = app.CreateClient();

        using var response = await client.GetAsync(OrchestratorApp.TaskUri(id, "/events"));

        await Problems.ReadAsync(response, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task A_store_failure_mid_stream_keeps_the_stream_open_and_it_catches_up_once_the_store_answers()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"));
        var id = created.GetProperty("id").GetGuid();
        await using var stream = await EventStream.OpenAsync(app, id);
        Assert.NotNull(await stream.NextAsync());

        app.Repository.FailWith = new TimeoutException("fake");
        var reads = app.Repository.GetChangedCalls;
        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Succeeded, result: "a");
        await WaitUntilAsync(() => app.Repository.GetChangedCalls >= reads + 2);   // failed, retried, failed
        app.Repository.FailWith = null;

        var last = await stream.NextAsync();
        Assert.NotNull(last);
        Assert.Equal("succeeded", last.Data.GetProperty("status").GetString());
        Assert.Null(await stream.NextAsync());
    }

    [Fact]
    public async Task A_lost_signal_is_made_up_for_by_the_periodic_resync()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?> { ["Events:ResyncInterval"] = "00:00:00.200" });
        var created = await app.CreateAsync(("echo", "a"));
        await using var stream = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());
        Assert.NotNull(await stream.NextAsync());

        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Succeeded, result: "a", announce: false);

        Assert.Equal("succeeded", (await stream.NextAsync())?.Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task After_Redis_comes_back_every_watched_task_is_read_again()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"));
        await using var stream = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());
        Assert.NotNull(await stream.NextAsync());

        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Running, announce: false);
        app.Signals.Resync();

        Assert.Equal("running", (await stream.NextAsync())?.Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_orchestrator_hears_the_signals_only_while_streams_are_open()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?> { ["Events:ListenAfterLastStream"] = "00:00:00.100" });
        var created = await app.CreateAsync(("echo", "a"));
        Assert.False(app.Hub.Listening);
        Assert.Equal(0, app.Signals.Subscribers);

        var stream = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());
        Assert.NotNull(await stream.NextAsync());
        Assert.True(app.Hub.Listening);
        Assert.Equal(1, app.Signals.Subscribers);
        await stream.DisposeAsync();

        await WaitUntilAsync(() => !app.Hub.Listening && app.Signals.Subscribers == 0);

        // The next stream subscribes again, and hears a change by its signal (the resync is an hour away in tests).
        await using var next = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());
        Assert.NotNull(await next.NextAsync());
        Assert.True(app.Hub.Listening);
        Assert.Equal(1, app.Signals.Subscribers);
        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Running);
        Assert.Equal("running", (await next.NextAsync())?.Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task After_the_last_stream_the_orchestrator_goes_on_listening_a_while()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"));
        var stream = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());
        Assert.NotNull(await stream.NextAsync());

        await stream.DisposeAsync();
        await WaitUntilAsync(() => app.Hub.Watched == 0);
        await Task.Delay(200);

        Assert.True(app.Hub.Listening);   // for Events:ListenAfterLastStream, 30 s
    }

    [Fact]
    public async Task A_change_before_the_subscription_took_effect_is_read_once_it_does()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?> { ["Events:ResyncInterval"] = "01:00:00" });
        var created = await app.CreateAsync(("echo", "a"));
        app.Signals.SubscribeGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stream = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());
        Assert.NotNull(await stream.NextAsync());   // the first read does not wait for the subscription
        await WaitUntilAsync(() => app.Hub.Reads >= 2);   // and the catch-up read after it is done too

        app.Repository.SetJob(created.GetProperty("jobs")[0].GetProperty("id").GetGuid(), JobState.Running);   // its signal is lost
        app.Signals.SubscribeGate.SetResult();

        Assert.Equal("running", (await stream.NextAsync())?.Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_change_between_the_first_read_and_knowing_the_job_ids_is_caught_up()
    {
        await using var app = new OrchestratorApp();
        var created = await app.CreateAsync(("echo", "a"));
        var job = created.GetProperty("jobs")[0].GetProperty("id").GetGuid();
        // The job starts right after the first read; its signal names the job, whose id the hub does not know yet.
        var once = 0;
        app.Repository.AfterGetChanged = () =>
        {
            if (Interlocked.Exchange(ref once, 1) == 0)
            {
                app.Repository.SetJob(job, JobState.Running);
            }
        };
        await using var stream = await EventStream.OpenAsync(app, created.GetProperty("id").GetGuid());

        // Queued then running, or running at once when the catch-up read came before the stream's first write.
        var status = (await stream.NextAsync())?.Data.GetProperty("status").GetString();
        if (status == "queued")
        {
            status = (await stream.NextAsync())?.Data.GetProperty("status").GetString();
        }

        Assert.Equal("running", status);
    }

    [Fact]
    public async Task When_the_orchestrator_stops_open_streams_end_with_an_error_event()
    {
        await using var app = new OrchestratorApp();
        var id = (await app.CreateAsync(("echo", "a"))).GetProperty("id").GetGuid();
        await using var stream = await EventStream.OpenAsync(app, id);
        Assert.NotNull(await stream.NextAsync());

        await app.Hub.StopAsync(CancellationToken.None);

        var error = await stream.NextAsync();
        Assert.NotNull(error);
        Assert.Equal("error", error.Event);
        Assert.Equal(503, error.Data.GetProperty("status").GetInt32());
        Assert.Contains("reconnect", error.Data.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await stream.NextAsync());
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

    private sealed record SseEvent(string? Event, JsonElement Data, string Text);

    /// <summary>One open events stream of the app (client, response and reader), read event by event.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly HttpClient _client;
        private readonly HttpResponseMessage _response;
        private readonly SseReader _reader;
        private readonly CancellationTokenSource _cancel = new(Patience);

        private EventStream(HttpClient client, HttpResponseMessage response, SseReader reader)
        {
            _client = client;
            _response = response;
            _reader = reader;
        }

        public static async Task<EventStream> OpenAsync(OrchestratorApp app, Guid id)
        {
            var client = app.CreateClient();
            var response = await client.GetAsync(OrchestratorApp.TaskUri(id, "/events"), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new EventStream(client, response, new SseReader(await response.Content.ReadAsStreamAsync()));
        }

        public Task<SseEvent?> NextAsync() => _reader.NextAsync(_cancel.Token);

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            _client.Dispose();
            _cancel.Dispose();
            return ValueTask.CompletedTask;
        }
    }

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
                        var text = string.Join('\n', data);
                        using var document = JsonDocument.Parse(text);
                        return new SseEvent(name, document.RootElement.Clone(), text);
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
