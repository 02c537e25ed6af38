using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Orchestrator.Services;
using AgentSystem.Orchestrator.Tests.Fakes;
using AgentSystem.Queue;
using AgentSystem.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AgentSystem.Orchestrator.Tests;

/// <summary>
/// The orchestrator in process with in-memory fakes of the task repository, the queue and the migrator; one per test,
/// so tests share nothing. The background dispatcher is off unless a test turns it on: tests call RunOnceAsync.
/// </summary>
public sealed class OrchestratorApp(IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public static readonly Uri Tasks = new("/tasks", UriKind.Relative);

    public FakeTaskRepository Repository { get; } = new();

    public FakeJobQueue Queue { get; } = new();

    public FakeTaskSignals Signals { get; } = new();

    public FakeDatabaseMigrator Migrator { get; } = new("0001_initial");

    public ListLoggerProvider Logs { get; } = new();

    public JobDispatcher Dispatcher => Services.GetRequiredService<JobDispatcher>();

    public TaskEventsHub Hub => Services.GetRequiredService<TaskEventsHub>();

    public static Uri TaskUri(Guid id, string suffix = "") => new($"/tasks/{id}{suffix}", UriKind.Relative);

    /// <summary>POSTs a JSON body and returns the response (the caller disposes it).</summary>
    public async Task<HttpResponseMessage> PostAsync(object body, string? idempotencyKey = null)
    {
        using var client = CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, Tasks) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await client.SendAsync(request);
    }

    /// <summary>POSTs explicit jobs, expects 202, and returns the task's JSON.</summary>
    public async Task<JsonElement> CreateAsync(params (string Type, string Input)[] jobs)
    {
        using var response = await PostAsync(new { jobs = jobs.Select(j => new { type = j.Type, input = j.Input }) });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.UseEnvironment("Testing");
        // Present, so the start-up validation passes; never connected to: the fakes replace what would use them.
        builder.UseSetting("ConnectionStrings:Postgres", "Host=127.0.0.1;Port=1;Database=unused");
        builder.UseSetting("Redis:Configuration", "127.0.0.1:1,abortConnect=false");
        builder.UseSetting("Dispatcher:Enabled", "false");
        builder.UseSetting("Events:ResyncInterval", "01:00:00");
        Repository.Changed ??= id => Signals.Publish(TaskSignal.Changed, id);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<ITaskRepository>();
            services.AddSingleton<ITaskRepository>(Repository);
            services.RemoveAll<IJobRepository>();
            services.AddSingleton<IJobRepository>(Repository);
            services.RemoveAll<IJobQueue>();
            services.AddSingleton<IJobQueue>(Queue);
            services.RemoveAll<ITaskSignals>();
            services.AddSingleton<ITaskSignals>(Signals);
            // No Redis connection at all: OpenTelemetry's Redis instrumentation resolves the multiplexer when the host
            // starts, whose connect to the unused address above waited out its 5 s timeout in about a test in three
            // (the suite took 3 minutes of mostly idle time; 11 s without it).
            services.RemoveAll<ConnectionMultiplexer>();
            services.RemoveAll<IConnectionMultiplexer>();
            services.RemoveAll<IDatabaseMigrator>();
            services.AddSingleton<IDatabaseMigrator>(Migrator);
        });
    }
}
