using AgentSystem.Worker.Services;

namespace AgentSystem.Worker.Apis;

public static class MetricsApi
{
    public static RouteGroupBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/metrics").WithTags("Metrics");
        api.MapGet("/", (WorkerMetrics metrics) => TypedResults.Ok(metrics.Snapshot()));
        return api;
    }
}
