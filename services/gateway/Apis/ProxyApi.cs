using AgentSystem.Gateway.Proxy;

namespace AgentSystem.Gateway.Apis;

public static class ProxyApi
{
    public const string RateLimitPolicy = "per-api-key";

    /// <summary>
    /// The routes of ReverseProxy:Routes (<c>/api/tasks/**</c> to the orchestrator, <c>/api/chat/**</c> to chat, every
    /// method) behind the API key and the rate limit; anything else under /api is 404.
    /// </summary>
    public static RouteGroupBuilder MapProxyApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.MapReverseProxy(proxy =>
        {
            proxy.UseUpstreamProblems();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        }).RequireAuthorization().RequireRateLimiting(RateLimitPolicy);

        var api = app.MapGroup("/api").WithTags("Proxy").RequireAuthorization().RequireRateLimiting(RateLimitPolicy);
        api.Map("/{**path}", (HttpContext context) => TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"The gateway has no route for {context.Request.Path}."));
        return api;
    }
}
