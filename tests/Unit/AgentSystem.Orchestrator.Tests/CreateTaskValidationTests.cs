using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AgentSystem.Contracts;

namespace AgentSystem.Orchestrator.Tests;

/// <summary>Bad input to POST /tasks: a 400, 413, 415 or 422 ProblemDetails naming the field, and nothing stored or queued.</summary>
public sealed class CreateTaskValidationTests
{
    private static readonly string Big = new('x', 64 * 1024 + 1);

    public static TheoryData<string, string[]> InvalidBodies => new()
    {
        { """{}""", ["goal", "jobs"] },
        { """{ "jobs": null, "goal": null }""", ["goal", "jobs"] },
        { """{ "jobs": [ { "type": "echo", "input": "x" } ], "goal": "both" }""", ["goal", "jobs"] },
        { """{ "jobs": [] }""", ["jobs"] },
        { """{ "goal": "   " }""", ["goal"] },
        { $$"""{ "goal": "{{Big}}" }""", ["goal"] },
        { """{ "jobs": [ { "type": "echo", "input": "a" }, { "type": "teleport", "input": "b" } ] }""", ["jobs[1].type"] },
        { """{ "jobs": [ { "type": "ECHO", "input": "a" } ] }""", ["jobs[0].type"] },
        { """{ "jobs": [ { "input": "a" } ] }""", ["jobs[0].type"] },
        { """{ "jobs": [ null ] }""", ["jobs[0]"] },
        { $$"""{ "jobs": [ { "type": "echo", "input": "{{Big}}" } ] }""", ["jobs[0].input"] },
        { """{ "jobs": [ { "type": "sleep", "input": "soon" } ] }""", ["jobs[0].input"] },
        { """{ "jobs": [ { "type": "sleep", "input": "-5" } ] }""", ["jobs[0].input"] },
        { """{ "jobs": [ { "type": "sleep", "input": "1.5" } ] }""", ["jobs[0].input"] },
        { """{ "jobs": [ { "type": "sleep", "input": "60001" } ] }""", ["jobs[0].input"] },
        { """{ "jobs": [ { "type": "sleep", "input": "99999999999" } ] }""", ["jobs[0].input"] },
        { """{ "jobs": [ { "type": "sleep" } ] }""", ["jobs[0].input"] },
        {
            """{ "jobs": [ { "type": "echo", "input": "ok" }, { "type": "nope", "input": "x" }, { "type": "hash", "input": "ok" }, { "type": "sleep", "input": "x" } ] }""",
            ["jobs[1].type", "jobs[3].input"]
        },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_task_is_422_naming_the_fields_and_stores_nothing(string body, string[] fields)
    {
        await using var app = new OrchestratorApp();

        using var response = await PostRawAsync(app, body);

        Assert.Equal(fields, await Problems.ReadErrorKeysAsync(response));
        AssertNothingStored(app);
    }

    [Fact]
    public async Task More_than_100_jobs_is_422_naming_jobs()
    {
        await using var app = new OrchestratorApp();

        using var response = await app.PostAsync(new { jobs = Enumerable.Range(0, 101).Select(i => new { type = "echo", input = $"{i}" }) });

        Assert.Equal(["jobs"], await Problems.ReadErrorKeysAsync(response));
        AssertNothingStored(app);
    }

    [Fact]
    public async Task The_largest_task_is_accepted_100_jobs_whose_inputs_come_to_exactly_1_MiB()
    {
        await using var app = new OrchestratorApp();
        var inputs = Enumerable.Repeat(new string('y', 10_000), 99).Append(new string('y', Limits.MaxTaskInputBytes - 990_000));

        using var response = await app.PostAsync(new { jobs = inputs.Select(input => new { type = "hash", input }) });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(100, app.Repository.JobCount);
    }

    [Fact]
    public async Task Unknown_type_message_names_the_type_and_the_known_ones()
    {
        await using var app = new OrchestratorApp();

        using var response = await PostRawAsync(app, """{ "jobs": [ { "type": "teleport", "input": "x" } ] }""");

        var problem = await Problems.ReadAsync(response, HttpStatusCode.UnprocessableEntity);
        var message = problem.GetProperty("errors").GetProperty("jobs[0].type")[0].GetString();
        Assert.Contains("teleport", message, StringComparison.Ordinal);
        Assert.Contains("wordcount", message, StringComparison.Ordinal);
    }

    /// <summary>helper-91: {"job": [...]} was told to give 'jobs' or a 'goal', without a word about 'job'.</summary>
    [Fact]
    public async Task A_task_of_neither_field_names_the_fields_it_gave_instead()
    {
        await using var app = new OrchestratorApp();

        using var response = await PostRawAsync(app, """{ "job": [ { "type": "echo", "input": "x" } ], "priority": 1 }""");

        var problem = await Problems.ReadAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Give either 'jobs' (explicit jobs) or a 'goal' for the planner. 'job' is no field of a task. Did you mean 'jobs'?"
            + " 'priority' is no field of a task.", problem.GetProperty("errors").GetProperty("jobs")[0].GetString());
        Assert.Equal(0, app.Repository.TaskCount);
    }

    [Theory]
    [InlineData("""{ "jobs": [ { "type": "echo", "input": "x" } """)]
    [InlineData("""not json""")]
    [InlineData("""{ "jobs": [ { "type": "echo", "input": "x" }, ] }""")]
    public async Task Malformed_json_is_400_and_stores_nothing(string body)
    {
        await using var app = new OrchestratorApp();

        using var response = await PostRawAsync(app, body);

        var problem = await Problems.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(problem.TryGetProperty("errors", out _), "no field to name, so no (empty) errors member");
        AssertNothingStored(app);
    }

    [Theory]
    [InlineData("""{ "jobs": "echo" }""", "jobs")]
    [InlineData("""{ "jobs": [ "echo" ] }""", "jobs[0]")]
    [InlineData("""{ "jobs": [ { "type": "sleep", "input": 500 } ] }""", "jobs[0].input")]
    [InlineData("""{ "jobs": [ { "type": 1, "input": "x" } ] }""", "jobs[0].type")]
    [InlineData("""{ "goal": { "text": "x" } }""", "goal")]
    [InlineData("""[ { "type": "echo", "input": "x" } ]""", null)]
    public async Task Wrong_json_types_are_400_naming_the_field(string body, string? field)
    {
        await using var app = new OrchestratorApp();

        using var response = await PostRawAsync(app, body);

        var problem = await Problems.ReadAsync(response, HttpStatusCode.BadRequest);
        var detail = problem.GetProperty("detail").GetString();
        Assert.Contains("wrong JSON type: expected ", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", detail, StringComparison.Ordinal);
        if (field is not null)
        {
            Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        }
        else
        {
            Assert.False(problem.TryGetProperty("errors", out _), "no field to name, so no (empty) errors member");
        }

        AssertNothingStored(app);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    public async Task Empty_or_null_body_is_400(string body)
    {
        await using var app = new OrchestratorApp();

        using var response = await PostRawAsync(app, body);

        await Problems.ReadAsync(response, HttpStatusCode.BadRequest);
        AssertNothingStored(app);
    }

    [Fact]
    public async Task Body_over_the_limit_is_413()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?> { ["Tasks:MaxRequestBodyBytes"] = "2048" });
        var body = $$"""{ "jobs": [ { "type": "echo", "input": "{{new string('z', 4096)}}" } ] }""";

        using var response = await PostRawAsync(app, body);

        await Problems.ReadAsync(response, HttpStatusCode.RequestEntityTooLarge);
        AssertNothingStored(app);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_413()
    {
        await using var app = new OrchestratorApp(new Dictionary<string, string?> { ["Tasks:MaxRequestBodyBytes"] = "2048" });
        using var client = app.CreateClient();
        var bytes = Encoding.UTF8.GetBytes($$"""{ "jobs": [ { "type": "echo", "input": "{{new string('z', 4096)}}" } ] }""");
        // No Content-Length: the limit is enforced while reading.
        using var content = new StreamContent(new NoLengthStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync(OrchestratorApp.Tasks, content);

        await Problems.ReadAsync(response, HttpStatusCode.RequestEntityTooLarge);
        AssertNothingStored(app);
    }

    [Fact]
    public async Task Form_body_is_415()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();
        using var content = new FormUrlEncodedContent([new("goal", "x")]);

        using var response = await client.PostAsync(OrchestratorApp.Tasks, content);

        await Problems.ReadAsync(response, HttpStatusCode.UnsupportedMediaType);
        AssertNothingStored(app);
    }

    [Fact]
    public async Task Idempotency_key_too_long_is_400_naming_the_header()
    {
        await using var app = new OrchestratorApp();

        using var response = await app.PostAsync(new { goal = "x" }, idempotencyKey: new string('k', 201));

        Assert.Equal(["Idempotency-Key"], await Problems.ReadErrorKeysAsync(response, HttpStatusCode.BadRequest));
        AssertNothingStored(app);
    }

    internal static async Task<HttpResponseMessage> PostRawAsync(OrchestratorApp app, string body)
    {
        using var client = app.CreateClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await client.PostAsync(OrchestratorApp.Tasks, content);
    }

    private static void AssertNothingStored(OrchestratorApp app)
    {
        Assert.Empty(app.Repository.CreateRequests);
        Assert.Equal(0, app.Queue.EnqueueCalls);
    }

    /// <summary>A stream whose length is unknown, so HttpClient sends the body chunked.</summary>
    private sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
