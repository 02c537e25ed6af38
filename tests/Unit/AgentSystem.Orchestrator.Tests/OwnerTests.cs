using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentSystem.Contracts;

namespace AgentSystem.Orchestrator.Tests;

/// <summary>Each API key, named by the gateway in <see cref="Owner.HeaderName"/>, sees and changes only its own tasks.</summary>
public sealed class OwnerTests
{
    private static readonly object Body = new { jobs = new[] { new { type = "echo", input = "mine" } } };

    [Fact]
    public async Task Another_keys_task_is_not_found_to_read_follow_or_cancel_and_stays_as_it_was()
    {
        await using var app = new OrchestratorApp();
        var id = await CreateAsync(app, "key-0");

        var read = await SendAsync(app, HttpMethod.Get, OrchestratorApp.TaskUri(id), "key-1");
        var events = await SendAsync(app, HttpMethod.Get, OrchestratorApp.TaskUri(id, "/events"), "key-1");
        var cancel = await SendAsync(app, HttpMethod.Delete, OrchestratorApp.TaskUri(id), "key-1");

        Assert.All([read, events, cancel], status => Assert.Equal(HttpStatusCode.NotFound, status));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, HttpMethod.Get, OrchestratorApp.TaskUri(id), "key-0"));
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(app, HttpMethod.Delete, OrchestratorApp.TaskUri(id), "key-0"));
    }

    [Fact]
    public async Task A_key_lists_its_own_tasks_and_a_caller_without_one_lists_every_task()
    {
        await using var app = new OrchestratorApp();
        var first = await CreateAsync(app, "key-0");
        var second = await CreateAsync(app, "key-1");
        var third = await CreateAsync(app, "key-0");
        var unowned = await CreateAsync(app, owner: null);

        Assert.Equal([third, first], await ListAsync(app, "key-0"));
        Assert.Equal([second], await ListAsync(app, "key-1"));
        Assert.Empty(await ListAsync(app, "key-2"));
        Assert.Equal([unowned, third, second, first], await ListAsync(app, owner: null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, HttpMethod.Get, OrchestratorApp.TaskUri(second), owner: null));
    }

    [Fact]
    public async Task An_idempotency_key_belongs_to_the_key_that_used_it()
    {
        await using var app = new OrchestratorApp();

        var first = await CreateAsync(app, "key-0", "order-1");
        var other = await CreateAsync(app, "key-1", "order-1");
        using var again = await PostAsync(app, "key-0", "order-1");

        Assert.NotEqual(first, other);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        Assert.Equal(2, app.Repository.TaskCount);
    }

    [Fact]
    public async Task A_task_past_its_keys_storage_quota_is_a_403_problem_and_other_keys_go_on()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?> { ["Tasks:MaxStoredBytesPerKey"] = "1048576" });
        var big = new { jobs = Enumerable.Range(0, 5).Select(_ => new { type = "echo", input = new string('x', 60_000) }) };   // 600,000 bytes
        using (var first = await PostAsync(app, "key-0", null, big))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        using var refused = await PostAsync(app, "key-0", null, big);

        var problem = await Problems.ReadAsync(refused, HttpStatusCode.Forbidden);
        Assert.Equal("The API key's storage quota is used up", problem.GetProperty("title").GetString());
        Assert.Equal((1_048_576, 600_000, 600_000), (problem.GetProperty("quotaBytes").GetInt64(), problem.GetProperty("storedBytes").GetInt64(), problem.GetProperty("neededBytes").GetInt64()));
        Assert.Contains("retention", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, app.Repository.TaskCount);
        await CreateAsync(app, "key-1");
        using (var inside = await PostAsync(app, owner: null, null, big))
        {
            Assert.Equal(HttpStatusCode.Accepted, inside.StatusCode);   // counted, not limited: the quota is an API key's
        }

        using var again = await PostAsync(app, owner: null, null, big);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    [Theory]
    [InlineData("Key-0")]
    [InlineData("key 0")]
    [InlineData("key-0-of-a-name-longer-than-sixty-four-characters-which-is-no-key-name")]
    [InlineData("key-0,key-1")]
    public async Task A_malformed_owner_is_400_naming_the_header_and_nothing_is_stored(string value)
    {
        await using var app = new OrchestratorApp();
        var id = await CreateAsync(app, "key-0");
        using var client = app.CreateClient();

        foreach (var request in new[]
        {
            new HttpRequestMessage(HttpMethod.Post, OrchestratorApp.Tasks) { Content = new StringContent("""{ "goal": "x" }""", Encoding.UTF8, "application/json") },
            new HttpRequestMessage(HttpMethod.Get, OrchestratorApp.Tasks),
            new HttpRequestMessage(HttpMethod.Get, OrchestratorApp.TaskUri(id)),
            new HttpRequestMessage(HttpMethod.Delete, OrchestratorApp.TaskUri(id)),
        })
        {
            using (request)
            {
                request.Headers.TryAddWithoutValidation(Owner.HeaderName, value);
                using var response = await client.SendAsync(request);
                var problem = await Problems.ReadAsync(response, HttpStatusCode.BadRequest);
                Assert.Contains("lower-case letters, digits and '-'", problem.GetProperty("errors").GetProperty(Owner.HeaderName)[0].GetString(), StringComparison.Ordinal);
            }
        }

        Assert.Equal(1, app.Repository.TaskCount);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, HttpMethod.Get, OrchestratorApp.TaskUri(id), "key-0"));
    }

    private static async Task<Guid> CreateAsync(OrchestratorApp app, string? owner, string? idempotencyKey = null)
    {
        using var response = await PostAsync(app, owner, idempotencyKey);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task<HttpResponseMessage> PostAsync(OrchestratorApp app, string? owner, string? idempotencyKey, object? body = null)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, OrchestratorApp.Tasks) { Content = JsonContent.Create(body ?? Body) };
        AddOwner(request, owner);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await client.SendAsync(request);
    }

    private static async Task<List<Guid>> ListAsync(OrchestratorApp app, string? owner)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, OrchestratorApp.Tasks);
        AddOwner(request, owner);
        using var response = await client.SendAsync(request);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. page.GetProperty("items").EnumerateArray().Select(task => task.GetProperty("id").GetGuid())];
    }

    private static async Task<HttpStatusCode> SendAsync(OrchestratorApp app, HttpMethod method, Uri uri, string? owner)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(method, uri);
        AddOwner(request, owner);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }

    private static void AddOwner(HttpRequestMessage request, string? owner)
    {
        if (owner is not null)
        {
            request.Headers.Add(Owner.HeaderName, owner);
        }
    }
}
