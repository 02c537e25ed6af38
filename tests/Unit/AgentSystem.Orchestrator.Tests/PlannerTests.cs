using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Orchestrator.Planning;
using AgentSystem.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Tests;

public sealed class PlannerTests
{
    [Theory]
    [InlineData("Summarise: the quick brown fox", "the quick brown fox")]
    [InlineData("  count the words in this:  one two  ", "one two")]
    [InlineData("the quick brown fox", "the quick brown fox")]
    [InlineData("see https://example.com", "see https://example.com")]
    [InlineData("Note:", "Note:")]
    [InlineData("ratio 3:4 is fine", "ratio 3:4 is fine")]
    public void The_subject_is_the_text_after_a_short_instruction(string goal, string subject) =>
        Assert.Equal(subject, DeterministicTaskPlanner.Subject(goal));

    [Fact]
    public void A_long_text_before_the_colon_is_not_an_instruction()
    {
        var goal = new string('a', 61) + ": b";

        Assert.Equal(goal, DeterministicTaskPlanner.Subject(goal));
    }

    [Fact]
    public void The_plan_is_the_same_every_time()
    {
        var first = DeterministicTaskPlanner.Plan("Look at: x y", includeLlmJob: false);
        var second = DeterministicTaskPlanner.Plan("Look at: x y", includeLlmJob: false);

        Assert.Equal(first, second);
        Assert.Equal(["wordcount", "hash", "echo"], first.Select(j => j.Type));
    }

    [Theory]
    [InlineData("Summarise: the quick brown fox")]
    [InlineData("Summarize: the quick brown fox")]
    [InlineData("Give me a summary: the quick brown fox")]
    [InlineData("summarise the quick brown fox")]
    [InlineData("TL;DR: the quick brown fox")]
    [InlineData("Explain: the quick brown fox")]
    [InlineData("Translate to French: the quick brown fox")]
    [InlineData("Write a poem about the quick brown fox")]
    public void A_goal_that_needs_a_language_model_gets_one_llm_job_with_the_whole_goal(string goal)
    {
        var job = Assert.Single(DeterministicTaskPlanner.Plan(goal, includeLlmJob: false));

        Assert.Equal(new NewJob("llm", goal.Trim()), job);
    }

    [Theory]
    [InlineData("Count the words: a b c", new[] { "wordcount" })]
    [InlineData("Hash: abc", new[] { "hash" })]
    [InlineData("SHA-256 checksum of: abc", new[] { "hash" })]
    [InlineData("Repeat: abc", new[] { "echo" })]
    [InlineData("Summarise and count the words: a b c", new[] { "llm", "wordcount" })]
    [InlineData("Count the words, hash it and explain it: a b c", new[] { "wordcount", "hash", "llm" })]
    public void The_verbs_of_the_instruction_choose_the_jobs_in_their_order(string goal, string[] types)
    {
        var jobs = DeterministicTaskPlanner.Plan(goal, includeLlmJob: false);

        Assert.Equal(types, jobs.Select(j => j.Type));
        Assert.All(jobs.Where(j => j.Type != "llm"), j => Assert.Equal(DeterministicTaskPlanner.Subject(goal), j.Input));
    }

    [Theory]
    [InlineData("Look at: how to summarise and count", new[] { "wordcount", "hash", "echo" })]
    [InlineData("The country of the rehash", new[] { "wordcount", "hash", "echo" })]
    [InlineData("the quick brown fox", new[] { "wordcount", "hash", "echo" })]
    public void Words_in_the_subject_or_inside_other_words_choose_nothing(string goal, string[] types) =>
        Assert.Equal(types, DeterministicTaskPlanner.Plan(goal, includeLlmJob: false).Select(j => j.Type));

    [Fact]
    public void Planner_IncludeLlmJob_adds_the_llm_job_only_where_there_is_none()
    {
        Assert.Equal(["wordcount", "hash", "echo", "llm"], DeterministicTaskPlanner.Plan("x y", includeLlmJob: true).Select(j => j.Type));
        Assert.Equal(["llm"], DeterministicTaskPlanner.Plan("Summarise: x y", includeLlmJob: true).Select(j => j.Type));
    }

    [Fact]
    public async Task The_llm_planner_uses_a_valid_plan_from_chat()
    {
        var handler = new ChatStub("openai", """Here you go: ```json [{"type":"wordcount","input":"a b"},{"type":"sleep","input":"10"}] ```""");

        var jobs = await Planner(handler).PlanAsync("count a b, then wait", "key-0", CancellationToken.None);

        Assert.Equal([new("wordcount", "a b"), new("sleep", "10")], jobs);
        var request = Assert.Single(handler.Requests);
        Assert.Equal("/chat", request.Path);
        Assert.False(request.Body.GetProperty("stream").GetBoolean());
        var messages = request.Body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["system", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("count a b, then wait", messages[1].GetProperty("content").GetString());
        Assert.Equal("key-0", request.Owner);   // chat counts the planning conversation against the task's key
    }

    [Theory]
    [InlineData("offline", """[{"type":"echo","input":"x"}]""")]
    [InlineData("openai", "I cannot do that.")]
    [InlineData("openai", """[{"type":"teleport","input":"x"}]""")]
    [InlineData("openai", """[]""")]
    [InlineData("openai", """[{"type":"echo","input":"x"}""")]
    [InlineData("openai", """[{"type":"sleep","input":"forever"}]""")]
    public async Task The_llm_planner_falls_back_to_the_deterministic_plan(string provider, string answer)
    {
        var jobs = await Planner(new ChatStub(provider, answer)).PlanAsync("Summarise: a b", owner: null, CancellationToken.None);

        Assert.Equal(DeterministicTaskPlanner.Plan("Summarise: a b", includeLlmJob: false), jobs);
    }

    [Fact]
    public async Task The_llm_planner_falls_back_when_chat_fails()
    {
        var jobs = await Planner(new ChatStub("openai", "", HttpStatusCode.BadGateway)).PlanAsync("Summarise: a b", owner: null, CancellationToken.None);

        Assert.Equal(DeterministicTaskPlanner.Plan("Summarise: a b", includeLlmJob: false), jobs);
    }

    [Fact]
    public async Task The_llm_planner_falls_back_when_chat_is_unreachable()
    {
        var jobs = await Planner(new ChatStub(failWith: new HttpRequestException("Connection refused"))).PlanAsync("Summarise: a b", owner: null, CancellationToken.None);

        Assert.Equal(DeterministicTaskPlanner.Plan("Summarise: a b", includeLlmJob: false), jobs);
    }

    [Fact]
    public async Task With_Planner_UseLlm_the_service_plans_goals_through_chat_presenting_the_internal_key()
    {
        const string internalKey = "internal-key-for-the-tests";
        var handler = new ChatStub("openai", """[{"type":"hash","input":"abc"}]""");
        await using var app = new OrchestratorApp(new Dictionary<string, string?>
        {
            ["Planner:UseLlm"] = "true",
            ["Planner:ChatUrl"] = "http://chat.test:3001",
            ["Internal:Key"] = internalKey,
        });
        using var factory = app.WithWebHostBuilder(builder =>
            Microsoft.AspNetCore.TestHost.WebHostBuilderExtensions.ConfigureTestServices(builder, services =>
                services.AddHttpClient<LlmTaskPlanner>().ConfigurePrimaryHttpMessageHandler(() => handler)));
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add(InternalKey.HeaderName, internalKey);

        using var response = await client.PostAsJsonAsync(OrchestratorApp.Tasks, new { goal = "hash abc" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var task = await response.Content.ReadFromJsonAsync<JsonElement>();
        var job = Assert.Single(task.GetProperty("jobs").EnumerateArray());
        Assert.Equal("hash", job.GetProperty("type").GetString());
        var asked = Assert.Single(handler.Requests);
        Assert.Equal(new Uri("http://chat.test:3001/chat"), asked.Uri);
        Assert.Equal(internalKey, asked.InternalKey);
    }

    private static LlmTaskPlanner Planner(ChatStub handler)
    {
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://chat.test/") };
        var deterministic = new DeterministicTaskPlanner(Options.Create(new PlannerOptions()));
        return new LlmTaskPlanner(http, deterministic, NullLogger<LlmTaskPlanner>.Instance);
    }

    private sealed record SeenRequest(Uri Uri, string Path, JsonElement Body, string? InternalKey, string? Owner);

    /// <summary>Answers as chat's POST /chat does.</summary>
    private sealed class ChatStub(string provider = "openai", string answer = "", HttpStatusCode status = HttpStatusCode.OK, Exception? failWith = null)
        : HttpMessageHandler
    {
        public List<SeenRequest> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadFromJsonAsync<JsonElement>(cancellationToken);
            Requests.Add(new SeenRequest(request.RequestUri!, request.RequestUri!.AbsolutePath, body,
                request.Headers.TryGetValues(InternalKey.HeaderName, out var key) ? string.Join(',', key) : null,
                request.Headers.TryGetValues(Owner.HeaderName, out var owner) ? string.Join(',', owner) : null));
            if (failWith is not null)
            {
                throw failWith;
            }

            var reply = JsonSerializer.Serialize(new
            {
                conversationId = Guid.NewGuid(),
                provider,
                message = new { role = "assistant", content = answer },
            });
            return new HttpResponseMessage(status) { Content = new StringContent(reply, Encoding.UTF8, "application/json") };
        }
    }
}
