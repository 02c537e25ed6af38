using AgentSystem.Gateway.Proxy;
using AgentSystem.Gateway.Security;

namespace AgentSystem.Gateway.Apis;

public static class ProxyApi
{
    /// <summary>
    /// The routes of ReverseProxy:Routes (<c>/api/tasks/**</c> to the orchestrator, <c>/api/chat/**</c> to chat, every
    /// method) behind the API key and the client limits (<see cref="ClientLimits"/>); anything else under /api is 404.
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
        }).RequireAuthorization().RequireRateLimiting(ClientLimits.RatePolicy);

        var api = app.MapGroup("/api").WithTags("Proxy").RequireAuthorization().RequireRateLimiting(ClientLimits.RatePolicy);
        api.Map("/{**path}", (HttpContext context) => TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"The gateway has no route for {context.Request.Path}."));
        return api;
    }
}
