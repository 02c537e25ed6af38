using AgentSystem.Testing.Browser;
using Microsoft.Playwright;

namespace AgentSystem.StackTests;

/// <summary>The page, served by the frontend's image, in a real headless Chromium (Debian's, never a downloaded one).</summary>
[Collection(StackCollection.Name)]
public sealed class BrowserTests(Stack stack) : BrowserTest
{
    [Fact]
    public async Task A_task_submitted_in_the_page_completes_and_the_page_never_holds_the_key()
    {
        var page = await Browser.NewPageAsync();
        var keys = new List<string>();
        page.Request += (_, request) => { if (request.Headers.TryGetValue("x-api-key", out var key)) { keys.Add(key); } };
        await page.GotoAsync(new Uri(stack.Frontend, "/new").ToString());
        await page.GetByTestId("mode-goal").CheckAsync();
        await page.GetByTestId("goal-input").FillAsync("Count the words in this browser test");
        await page.GetByTestId("task-submit").ClickAsync();

        var status = page.GetByTestId("task-detail").GetByTestId("task-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "succeeded", new() { Timeout = 90_000 });
        await Assertions.Expect(page.GetByTestId("task-job").First.GetByTestId("job-status")).ToHaveAttributeAsync("data-status", "succeeded");
        await page.ScreenshotAsync(new() { Path = Screenshot("stack-task-succeeded.png"), FullPage = true });

        Assert.Empty(keys);
        Assert.DoesNotContain(stack.ApiKey, await page.EvaluateAsync<string>("() => JSON.stringify(window.__AGENTSYSTEM_CONFIG__ ?? null)"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_chat_page_streams_an_answer()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(new Uri(stack.Frontend, "/chat").ToString());
        await page.GetByTestId("chat-input").FillAsync("Hello from the browser, through the images");
        await page.GetByTestId("chat-send").ClickAsync();

        var answer = page.Locator("[data-testid=chat-message][data-role=assistant]").Last;
        await Assertions.Expect(answer).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 60_000 });
        await Assertions.Expect(answer.GetByTestId("chat-message-content")).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.GetByTestId("chat-provider")).ToContainTextAsync("offline");
        await page.ScreenshotAsync(new() { Path = Screenshot("stack-chat.png"), FullPage = true });
    }
}
