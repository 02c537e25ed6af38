using System.Net;
using System.Net.Http.Json;
using AgentSystem.Contracts;
using AgentSystem.Worker.Services;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSystem.Worker.Tests;

public sealed class WorkerApiTests : IDisposable
{
    // A host per test: WorkerMetrics is a singleton of the host, so counts from other tests would leak in.
    private readonly WebApplicationFactory<Program> _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Healthz_answers_200()
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_count_jobs_run_through_the_registered_handlers()
    {
        using var client = _factory.CreateClient();
        var executor = _factory.Services.GetRequiredService<JobExecutor>();

        await executor.ExecuteAsync(HandlerTests.Job(JobTypes.Hash, "abc"), CancellationToken.None);
        await executor.ExecuteAsync(HandlerTests.Job(JobTypes.Echo, "abc"), CancellationToken.None);
        await executor.ExecuteAsync(HandlerTests.Job("teleport", "abc"), CancellationToken.None);

        Assert.Equal(new MetricsSnapshot(2, 1), await client.GetFromJsonAsync<MetricsSnapshot>(new Uri("/metrics", UriKind.Relative)));
    }
}
