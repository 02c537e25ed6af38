using AgentSystem.Testing.Browser;
using Microsoft.Playwright;

namespace AgentSystem.SystemTests;

/// <summary>The web page in a real headless Chromium (Debian's, never a downloaded one), against the running system.</summary>
[Collection(SystemCollection.Name)]
public sealed class BrowserTests(SystemFixture system) : BrowserTest
{
    [Fact]
    public async Task Submitting_a_task_in_the_page_shows_it_complete()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(system.Frontend.BaseAddress, "/new").ToString());
        await page.GetByTestId("mode-goal").CheckAsync();
        await page.GetByTestId("goal-input").FillAsync("Count the words in this browser test");
        await page.GetByTestId("task-submit").ClickAsync();

        var status = page.GetByTestId("task-detail").GetByTestId("task-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "succeeded", new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByTestId("task-job").First.GetByTestId("job-status")).ToHaveAttributeAsync("data-status", "succeeded");
        await page.ScreenshotAsync(new() { Path = Screenshot("task-succeeded.png"), FullPage = true });
    }

    [Fact]
    public async Task The_chat_page_shows_the_answer()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(system.Frontend.BaseAddress, "/chat").ToString());
        await page.GetByTestId("chat-input").FillAsync("Hello from the browser");
        await page.GetByTestId("chat-send").ClickAsync();

        var answer = page.Locator("[data-testid=chat-message][data-role=assistant]").Last;
        await Assertions.Expect(answer).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 30_000 });
        await Assertions.Expect(answer.GetByTestId("chat-message-content")).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.GetByTestId("chat-provider")).ToContainTextAsync("offline");
        await page.ScreenshotAsync(new() { Path = Screenshot("chat.png"), FullPage = true });
    }

    [Fact]
    public async Task The_api_key_cannot_be_obtained_or_used_from_another_site()
    {
        var frontend = system.Frontend.BaseAddress.ToString().TrimEnd('/');
        // What a hostile page would try: read the key from the old /config.js, read the API, and load it as a script.
        await using var elsewhere = new OtherOriginSite($$"""
            <!doctype html><title>elsewhere</title>
            <script>
            const frontend = '{{frontend}}';
            const load = (src) => new Promise((done) => {
              const script = document.createElement('script');
              script.src = src;
              script.onload = () => done('loaded');
              script.onerror = () => done('error');
              document.head.appendChild(script);
            });
            window.attack = (async () => {
              const results = {};
              results.configScript = await load(frontend + '/config.js');
              results.config = JSON.stringify(window.__AGENTSYSTEM_CONFIG__ ?? null);
              try {
                const answer = await fetch(frontend + '/api/tasks');
                results.read = 'read ' + answer.status + ': ' + (await answer.text()).slice(0, 200);
              } catch (error) {
                results.read = 'refused: ' + error.message;
              }
              results.apiScript = await load(frontend + '/api/tasks?as=script');
              return results;
            })();
            </script>
            """);
        var page = await Browser.NewPageAsync();
        var mark = system.Frontend.OutputMark;

        await page.GotoAsync(elsewhere.Address.ToString());
        var results = await page.EvaluateAsync<Dictionary<string, string>>("() => window.attack");

        Assert.Equal("error", results["configScript"]);
        Assert.Equal("null", results["config"]);
        Assert.StartsWith("refused", results["read"], StringComparison.Ordinal);
        Assert.Equal("error", results["apiScript"]);
        // The browser could not read the answers, and the frontend's server did not forward the requests either: it
        // refused both (the browser hides a refused answer's status from the page, so the server's report is read).
        var refusals = await RefusalsSinceAsync(mark, 2);
        Assert.Equal(2, refusals.Count);
        Assert.All(refusals, line => Assert.Contains("frontend: refused GET /api/tasks: ", line, StringComparison.Ordinal));

        // The same request from the frontend's own page works, and nothing the page has holds the key.
        var own = await Browser.NewPageAsync();
        var sentKeys = new List<string>();
        own.Request += (_, request) =>
        {
            if (request.Headers.ContainsKey("x-api-key"))
            {
                lock (sentKeys)
                {
                    sentKeys.Add(request.Url);
                }
            }
        };
        var answer = await own.GotoAsync(system.Frontend.BaseAddress.ToString());
        await Assertions.Expect(own.GetByTestId("gateway-status")).ToHaveAttributeAsync("data-state", "healthy");
        // No other site may frame it (the node server here, nginx under SystemTest).
        Assert.Equal("DENY", await answer!.HeaderValueAsync("x-frame-options"));
        Assert.Equal("frame-ancestors 'none'", await answer.HeaderValueAsync("content-security-policy"));
        Assert.Equal(200, await own.EvaluateAsync<int>("async () => (await fetch('/api/tasks')).status"));
        Assert.Equal(404, await own.EvaluateAsync<int>("async () => (await fetch('/config.js')).status"));
        Assert.DoesNotContain(SystemFixture.ApiKey, await own.ContentAsync(), StringComparison.Ordinal);
        lock (sentKeys)
        {
            Assert.Empty(sentKeys);
        }
    }

    [Fact]
    public async Task The_task_list_tells_apart_tasks_made_together()
    {
        var goal = $"Count the words: made together {Guid.NewGuid():N}";
        var tasks = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TaskApi.SubmitAsync(system.Api, new { goal })));
        var ids = tasks.Select(t => t.GetProperty("id").GetString()!).ToList();

        var page = await Browser.NewPageAsync();
        await page.GotoAsync(system.Frontend.BaseAddress.ToString());

        var shown = new List<string>();
        foreach (var id in ids)
        {
            var row = page.Locator($"[data-testid=task-row][data-task-id='{id}']");
            // The goal, then the id's end, read by screen readers only: each link's name is its own.
            await Assertions.Expect(row.GetByTestId("task-link")).ToHaveTextAsync($"{goal} (task ending {id[^8..]})");
            await Assertions.Expect(row.GetByTestId("task-id")).ToHaveAttributeAsync("title", id);
            shown.Add(await row.GetByTestId("task-id").InnerTextAsync());
        }

        Assert.Equal(ids.Count, shown.Distinct().Count());
        Assert.All(shown, (text, i) => Assert.EndsWith(text.TrimStart('…'), ids[i], StringComparison.Ordinal));
        await page.ScreenshotAsync(new() { Path = Screenshot("task-list.png"), FullPage = true });
    }

    [Fact]
    public async Task A_failed_task_does_not_look_successful_and_its_error_is_readable()
    {
        // A fail job fails when run, with its input as the error: long enough to wrap, so a cut or a squeeze shows.
        var reason = "the reason this job failed, told at length: " + string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 20));
        var submitted = await TaskApi.SubmitAsync(system.Api, new { jobs = new[] { new { type = "echo", input = "fine" }, new { type = "fail", input = reason } } });
        var id = submitted.GetProperty("id").GetString()!;
        var task = await TaskApi.WaitFinalAsync(system.Api, id, TimeSpan.FromSeconds(60), system.Diagnostics);
        Assert.Equal("failed", task.GetProperty("status").GetString());
        var error = TaskApi.Job(task, 1).GetProperty("error").GetString()!;
        Assert.Contains("the reason this job failed", error, StringComparison.Ordinal);

        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(system.Frontend.BaseAddress, $"/tasks/{id}").ToString());

        var progress = page.GetByTestId("task-progress");
        await Assertions.Expect(progress.Locator("[data-testid=progress-segment][data-status=failed]")).ToBeVisibleAsync();
        await Assertions.Expect(progress.GetByTestId("job-counts")).ToHaveTextAsync("1 succeeded · 1 failed");
        Assert.NotEqual(
            await ColourOf(progress.Locator("[data-status=succeeded]")),
            await ColourOf(progress.Locator("[data-status=failed]")));

        // The whole error, across the job's width, not a narrow column cut off.
        var job = page.GetByTestId("task-job").Nth(1);
        var shown = job.GetByTestId("job-error");
        await Assertions.Expect(shown).ToHaveTextAsync(error);
        var errorBox = await shown.BoundingBoxAsync();
        var jobBox = await job.BoundingBoxAsync();
        Assert.True(errorBox!.Width > jobBox!.Width * 0.9, $"the error is {errorBox.Width} px wide in a job of {jobBox.Width} px");
        Assert.True(await shown.EvaluateAsync<bool>("e => e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1"), "the error is cut off");
        await page.ScreenshotAsync(new() { Path = Screenshot("task-failed.png"), FullPage = true });
    }

    [Fact]
    public async Task The_page_shows_each_job_as_it_finishes_from_the_streams_changes()
    {
        // The first job ends while the page follows the task; the second runs on until the test cancels it.
        var jobs = new[] { new { type = "sleep", input = "8000" }, new { type = "sleep", input = "60000" } };
        var id = (await TaskApi.SubmitAsync(system.Api, new { jobs })).GetProperty("id").GetString()!;
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(system.Frontend.BaseAddress, $"/tasks/{id}").ToString());
        var first = page.GetByTestId("task-job").Nth(0).GetByTestId("job-status");
        var second = page.GetByTestId("task-job").Nth(1).GetByTestId("job-status");
        await Assertions.Expect(first).ToHaveAttributeAsync("data-status", "running", new() { Timeout = 6_000 });   // before it ends

        await Assertions.Expect(first).ToHaveAttributeAsync("data-status", "succeeded", new() { Timeout = 30_000 });
        await Assertions.Expect(second).ToHaveAttributeAsync("data-status", "running");
        await Assertions.Expect(page.GetByTestId("task-detail").GetByTestId("task-status")).ToHaveAttributeAsync("data-status", "running");

        using (var cancel = await system.Api.DeleteAsync(new Uri($"/api/tasks/{id}", UriKind.Relative)))
        {
            cancel.EnsureSuccessStatusCode();
        }

        await Assertions.Expect(page.GetByTestId("task-detail").GetByTestId("task-status")).ToHaveAttributeAsync("data-status", "cancelled", new() { Timeout = 30_000 });
        await Assertions.Expect(first).ToHaveAttributeAsync("data-status", "succeeded");
    }

    [Fact]
    public async Task A_cancelled_task_does_not_look_successful()
    {
        var sleeps = Enumerable.Repeat(new { type = "sleep", input = "3000" }, 16).ToArray();
        var id = (await TaskApi.SubmitAsync(system.Api, new { jobs = sleeps })).GetProperty("id").GetString()!;
        using (var cancel = await system.Api.DeleteAsync(new Uri($"/api/tasks/{id}", UriKind.Relative)))
        {
            cancel.EnsureSuccessStatusCode();
        }

        var task = await TaskApi.WaitFinalAsync(system.Api, id, TimeSpan.FromSeconds(60), system.Diagnostics);
        Assert.Equal("cancelled", task.GetProperty("status").GetString());

        var page = await Browser.NewPageAsync();
        await page.GotoAsync(system.Frontend.BaseAddress.ToString());
        var listed = page.Locator($"[data-testid=task-row][data-task-id='{id}'] [data-testid=progress-segment]");
        await Assertions.Expect(listed).ToHaveAttributeAsync("data-status", "cancelled");

        await page.GotoAsync(new Uri(system.Frontend.BaseAddress, $"/tasks/{id}").ToString());
        var progress = page.GetByTestId("task-progress");
        await Assertions.Expect(progress.Locator("[data-testid=progress-segment][data-status=cancelled]")).ToBeVisibleAsync();
        await Assertions.Expect(progress.GetByTestId("job-counts")).ToContainTextAsync("cancelled");
        await page.ScreenshotAsync(new() { Path = Screenshot("task-cancelled.png"), FullPage = true });
    }

    [Fact]
    public async Task The_conversation_survives_a_reload_and_is_listed()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(system.Frontend.BaseAddress, "/chat").ToString());
        var question = $"Remember me {Guid.NewGuid():N}";
        await page.GetByTestId("chat-input").FillAsync(question);
        await page.GetByTestId("chat-send").ClickAsync();
        var answer = page.Locator("[data-testid=chat-message][data-role=assistant]").Last;
        await Assertions.Expect(answer).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 30_000 });
        var answerText = await answer.GetByTestId("chat-message-content").InnerTextAsync();
        var conversationId = await page.GetByTestId("chat-conversation").InnerTextAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Uri(system.Frontend.BaseAddress, $"/chat/{conversationId}").ToString());

        await page.ReloadAsync();

        var messages = page.GetByTestId("chat-message-content");
        await Assertions.Expect(messages).ToHaveTextAsync([question, answerText]);
        var listed = page.Locator($"[data-testid=chat-conversation-item][data-conversation-id='{conversationId}']");
        await Assertions.Expect(listed).ToHaveAttributeAsync("aria-current", "page");
        await Assertions.Expect(listed).ToContainTextAsync(question);
        await page.ScreenshotAsync(new() { Path = Screenshot("chat-after-reload.png"), FullPage = true });

        // The navigation link comes back to it too, and a follow-up continues it.
        await page.GetByTestId("nav-tasks").ClickAsync();
        await page.GetByTestId("nav-chat").ClickAsync();
        await Assertions.Expect(messages).ToHaveCountAsync(2);
        await page.GetByTestId("chat-input").FillAsync("And again");
        await page.GetByTestId("chat-send").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=chat-message][data-role=assistant]").Last).ToHaveAttributeAsync("data-state", "done");
        using var stored = await system.Api.GetAsync(new Uri($"/api/chat/conversations/{conversationId}", UriKind.Relative));
        var conversation = System.Text.Json.JsonDocument.Parse(await stored.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(4, conversation.GetProperty("messages").GetArrayLength());
    }

    /// <summary>The frontend server's "refused" lines since <paramref name="mark"/>, once there are <paramref name="count"/>.</summary>
    private async Task<List<string>> RefusalsSinceAsync(long mark, int count)
    {
        for (var waited = 0; ; waited += 100)
        {
            var lines = system.Frontend.OutputSince(mark).Split(Environment.NewLine).Where(l => l.Contains("frontend: refused", StringComparison.Ordinal)).ToList();
            if (lines.Count >= count || waited > 5_000)
            {
                return lines;
            }

            await Task.Delay(100);
        }
    }

    private static Task<string> ColourOf(ILocator element) => element.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");

}
