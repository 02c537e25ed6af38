using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSystem.Contracts;
using AgentSystem.Queue;
using AgentSystem.Store;
using AgentSystem.Worker.Extensions;
using AgentSystem.Worker.Handlers;
using AgentSystem.Worker.Options;
using AgentSystem.Worker.Services;
using AgentSystem.Worker.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSystem.Worker.Tests;

/// <summary>The whole worker host in process (Program.cs, AddJobQueue, AddStore) with the queue and store replaced by fakes.</summary>
public sealed class WorkerApiTests : IDisposable
{
    // A host per test: WorkerMetrics is a singleton of the host, so counts from other tests would leak in.
    private readonly WorkerFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Healthz_answers_200()
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_reports_the_redis_and_postgres_checks_of_the_libraries()
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var checks = body.RootElement.GetProperty("checks");
        Assert.True(checks.TryGetProperty("redis", out _), body.RootElement.ToString());
        Assert.True(checks.TryGetProperty("postgres", out _), body.RootElement.ToString());
    }

    [Fact]
    public async Task Metrics_keep_the_first_fields_and_add_queue_depth_in_flight_and_latencies()
    {
        using var client = _factory.CreateClient();
        var job = await _factory.Queue.AddAsync(JobTypes.Hash, "abc");
        await _factory.Queue.AddAsync("teleport", "abc");
        await Eventually.True(() => _factory.Queue.AckCount(job.JobId) == 1 && _factory.Queue.Acks.Count == 2, "both acks");
        await Eventually.True(() => _factory.Services.GetRequiredService<WorkerMetrics>().Snapshot() is { Processed: 1, Failed: 1 }, "the counts");

        using var body = JsonDocument.Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        var metrics = body.RootElement;

        string[] fields =
        [
            "processed", "failed", "retried", "deadLettered", "rejected", "skipped", "returned", "reclaimed", "storeRetries",
            "inFlight", "concurrency", "queue", "jobLatency", "pickupLatency",
        ];
        Assert.Equal(fields, metrics.EnumerateObject().Select(property => property.Name));
        Assert.Equal(1, metrics.GetProperty("processed").GetInt64());
        Assert.Equal(1, metrics.GetProperty("failed").GetInt64());
        Assert.Equal(1, metrics.GetProperty("rejected").GetInt64());
        Assert.Equal(0, metrics.GetProperty("inFlight").GetInt64());
        Assert.Equal(new WorkerOptions().Concurrency, metrics.GetProperty("concurrency").GetInt32());
        Assert.Equal(["queued", "processing", "deadLettered"], metrics.GetProperty("queue").EnumerateObject().Select(property => property.Name));
        foreach (var latency in new[] { "jobLatency", "pickupLatency" })
        {
            Assert.Equal(["count", "p50", "p95", "max"], metrics.GetProperty(latency).EnumerateObject().Select(property => property.Name));
        }

        Assert.Equal(1, metrics.GetProperty("jobLatency").GetProperty("count").GetInt32());
        Assert.Equal(2, metrics.GetProperty("pickupLatency").GetProperty("count").GetInt32());

        // The first version's shape still reads.
        var first = await client.GetFromJsonAsync<FirstVersionMetrics>(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(new FirstVersionMetrics(1, 1), first);
    }

    [Fact]
    public async Task Queue_depth_is_cached_for_about_a_second()
    {
        using var client = _factory.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
            response.EnsureSuccessStatusCode();
        }

        // Five scrapes well within a second (on any machine, at most a few refreshes).
        Assert.InRange(_factory.Queue.StatsCalls, 1, 3);
    }

    [Fact]
    public void The_host_waits_for_the_drain_and_the_handback_within_the_kubelet_grace_period()
    {
        var host = _factory.Services.GetRequiredService<IOptions<HostOptions>>().Value;
        var worker = _factory.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(20), worker.DrainTimeout);
        Assert.True(host.ShutdownTimeout > worker.DrainTimeout + JobConsumer.ReturnGrace);
        Assert.True(host.ShutdownTimeout < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Every_job_type_of_the_contract_has_a_handler()
    {
        var registry = _factory.Services.GetRequiredService<JobHandlerRegistry>();

        Assert.Equal(JobTypes.All.Order(StringComparer.Ordinal), registry.Types.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Llm_client_is_pointed_at_worker_chat_url()
    {
        using var chat = _factory.WithWebHostBuilder(builder => builder.UseSetting("Worker:ChatUrl", "http://chat:3001"));

        var client = chat.Services.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(ChatClient));

        Assert.Equal(new Uri("http://chat:3001/"), client.BaseAddress);
    }

    [Fact]
    public async Task Llm_client_presents_the_internal_key_to_chat()
    {
        var chat = new RecordingChat();
        using var worker = _factory.WithWebHostBuilder(builder => builder
            .UseSetting("Internal:Key", "internal-key-for-the-tests")
            .ConfigureTestServices(services => services.AddHttpClient<ChatClient>().ConfigurePrimaryHttpMessageHandler(() => chat)));

        await worker.Services.GetRequiredService<ChatClient>().AskAsync("hello", CancellationToken.None);

        Assert.Equal(["internal-key-for-the-tests"], chat.Request!.Headers.GetValues(InternalKey.HeaderName));
        Assert.Equal([Owner.Worker], chat.Request.Headers.GetValues(Owner.HeaderName));
    }

    [Fact]
    public void Invalid_worker_options_stop_the_start_with_a_message_naming_the_key()
    {
        // What the host checks before it starts: building reads WorkerOptions for the shutdown timeout, so a bad setting
        // fails there, as in Program.cs; anything else ValidateOnStart checks after. Not through WebApplicationFactory:
        // see OpenAiChatApiTests (chat).
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Worker:Concurrency"] = "0" });
        builder.Services.AddWorker();

        var error = Assert.Throws<OptionsValidationException>(() =>
        {
            using var host = builder.Build();
            host.Services.GetRequiredService<IStartupValidator>().Validate();
        });

        Assert.Contains("Worker:Concurrency", error.Message, StringComparison.Ordinal);
    }

    private sealed record FirstVersionMetrics(long Processed, long Failed);

    /// <summary>Chat's <c>POST /chat</c> answering one reply, keeping the request it got.</summary>
    private sealed class RecordingChat : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = JsonContent.Create(new { conversationId = Guid.NewGuid(), provider = "offline", message = new { role = "assistant", content = "hi" } }),
            });
        }
    }

    private sealed class WorkerFactory : WebApplicationFactory<Program>
    {
        public EventLog Log { get; } = new();

        public FakeJobQueue Queue => field ??= new FakeJobQueue(Log);

        public FakeJobRepository Store => field ??= new FakeJobRepository(Log);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // Validated at start by AddJobQueue and AddStore; nothing connects, the fakes replace both.
            builder.UseSetting("Redis:Configuration", "127.0.0.1:1,abortConnect=false,connectTimeout=100");
            builder.UseSetting("ConnectionStrings:Postgres", "Host=127.0.0.1;Port=1;Timeout=1");
            builder.ConfigureLogging(logging => logging.ClearProviders());
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<IJobQueue>(Queue);
                services.AddSingleton<IJobRepository>(Store);
            });
        }
    }
}
