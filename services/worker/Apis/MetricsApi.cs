using AgentSystem.Worker.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentSystem.Worker.Apis;

public static class MetricsApi
{
    public static RouteGroupBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/metrics").WithTags("Metrics");
        api.MapGet("/", GetMetricsAsync);
        return api;
    }

    private static async Task<Ok<MetricsSnapshot>> GetMetricsAsync(WorkerMetrics metrics, QueueDepthMonitor queue, CancellationToken cancellationToken) =>
        TypedResults.Ok(metrics.Snapshot(await queue.GetAsync(cancellationToken)));
}
