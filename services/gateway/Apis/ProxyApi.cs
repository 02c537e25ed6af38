using AgentSystem.Gateway.Proxy;

namespace AgentSystem.Gateway.Apis;

public static class ProxyApi
{
    public const string RateLimitPolicy = "per-api-key";

    /// <summary><c>/api/tasks/**</c> to the orchestrator, <c>/api/chat/**</c> to chat, every method; anything else under /api is 404.</summary>
    public static RouteGroupBuilder MapProxyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Proxy").RequireAuthorization().RequireRateLimiting(RateLimitPolicy);
        api.Map("/tasks/{**path}", (HttpContext context, UpstreamForwarder forwarder, Upstreams upstreams) => forwarder.ForwardAsync(context, upstreams.Orchestrator));
        api.Map("/chat/{**path}", (HttpContext context, UpstreamForwarder forwarder, Upstreams upstreams) => forwarder.ForwardAsync(context, upstreams.Chat));
        api.Map("/{**path}", (HttpContext context) => TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"The gateway has no route for {context.Request.Path}."));
        return api;
    }
}
