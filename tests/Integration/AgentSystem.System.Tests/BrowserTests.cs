using Microsoft.Playwright;

namespace AgentSystem.SystemTests;

/// <summary>The web page in a real headless Chromium (Debian's, never a downloaded one), against the running system.</summary>
[Collection(SystemCollection.Name)]
public sealed class BrowserTests(SystemFixture system) : IAsyncLifetime
{
    private static readonly string[] ChromiumArguments =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"No Chromium at {chromium}: run ./build.sh Chromium (root on Debian) or set CHROMIUM_PATH.");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ChromiumArguments });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    [Fact]
    public async Task Submitting_a_task_in_the_page_shows_it_complete()
    {
        var page = await _browser!.NewPageAsync();
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
        var page = await _browser!.NewPageAsync();
        await page.GotoAsync(new Uri(system.Frontend.BaseAddress, "/chat").ToString());
        await page.GetByTestId("chat-input").FillAsync("Hello from the browser");
        await page.GetByTestId("chat-send").ClickAsync();

        var answer = page.Locator("[data-testid=chat-message][data-role=assistant]").Last;
        await Assertions.Expect(answer).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 30_000 });
        await Assertions.Expect(answer.GetByTestId("chat-message-content")).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.GetByTestId("chat-provider")).ToContainTextAsync("offline");
        await page.ScreenshotAsync(new() { Path = Screenshot("chat.png"), FullPage = true });
    }

    private static string Screenshot(string name)
    {
        var folder = Path.Combine(SystemFixture.RepositoryRoot, "artifacts", "test-results", "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }
}
