using AgentSystem.Contracts;
using AgentSystem.Gateway.Infrastructure;
using AgentSystem.Gateway.Security;
using AgentSystem.ServiceDefaults;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AgentSystem.Gateway.Proxy;

/// <summary>
/// What every route does to the headers on top of YARP's defaults (which already drop the fixed hop-by-hop headers and
/// let HttpClient write the gateway's own traceparent).
/// </summary>
public sealed class GatewayTransforms(IOptions<InternalKeyOptions> internalKey) : ITransformProvider
{
    private const string PathRemovePrefix = "PathRemovePrefix";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = internalKey.Value;
        var clientIdKey = settings.IsSet ? ClientId.KeyFrom(settings.Key!) : [];

        // First, before the gateway sets headers of its own: the headers a Connection header names describe that
        // connection (RFC 9110 section 7.6.1). Removed later, they took the gateway's own with them when a caller named
        // one there (its queue client, its request id), and the jobs went to the lane of no client.
        context.AddRequestTransform(request =>
        {
            foreach (var name in ConnectionTokens(request.HttpContext.Request.Headers.Connection))
            {
                RequestTransform.RemoveHeader(request, name);
            }

            return ValueTask.CompletedTask;
        });

        // For keeps what a proxy in front of the gateway said and adds the client; Proto and Host are the gateway's own.
        context.AddXForwardedFor(action: ForwardedTransformActions.Append);
        context.AddXForwardedProto();
        context.AddXForwardedHost();

        // The services name paths in their messages (a 404's detail); the prefix this route removes lets them name the
        // one the client used. Set, never appended: a client's own value does not reach them.
        var removed = context.Route.Transforms?.Select(static transform => transform.GetValueOrDefault(PathRemovePrefix)).FirstOrDefault(static prefix => prefix is not null);
        if (removed is null)
        {
            context.AddRequestHeaderRemove(StatusProblems.PrefixHeader);
        }
        else
        {
            context.AddRequestHeader(StatusProblems.PrefixHeader, removed, append: false);
        }

        // The API key, in either header, ends at the gateway.
        context.AddRequestHeaderRemove(ApiKeyAuthenticationHandler.HeaderName);
        context.AddRequestHeaderRemove(HeaderNames.Authorization);
        context.AddRequestTransform(request =>
        {
            RequestTransform.RemoveHeader(request, RequestIdMiddleware.HeaderName);
            RequestTransform.AddHeader(request, RequestIdMiddleware.HeaderName, request.HttpContext.TraceIdentifier);
            // Whose turn the request's jobs wait for in the queue: named here, never by the caller.
            RequestTransform.RemoveHeader(request, ClientId.HeaderName);
            if (ClientLimits.ClientOf(request.HttpContext) is { } client)
            {
                RequestTransform.AddHeader(request, ClientId.HeaderName, ClientId.Of(client, clientIdKey));
            }

            // Whose tasks it may see: the key's name, never the caller's word.
            RequestTransform.RemoveHeader(request, Owner.HeaderName);
            if (request.HttpContext.User.Identity is { IsAuthenticated: true, Name: { } key })
            {
                RequestTransform.AddHeader(request, Owner.HeaderName, key);
            }

            // What makes the services believe the two headers above, in place of a caller's own value.
            request.ProxyRequest.AddInternalKey(settings);

            return ValueTask.CompletedTask;
        });
        context.AddResponseTransform(UpstreamProblems.SuppressRefusal);
        context.AddResponseTransform(response =>
        {
            if (response.ProxyResponse?.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connection) == true)
            {
                foreach (var name in ConnectionTokens(connection.ToString()))
                {
                    response.HttpContext.Response.Headers.Remove(name);
                }
            }

            // YARP sends the headers with the first bytes of the body; an event stream may be quiet for a while, and its
            // client should see it open meanwhile.
            return IsEventStream(response.ProxyResponse) ? new ValueTask(response.HttpContext.Response.Body.FlushAsync(response.CancellationToken)) : ValueTask.CompletedTask;
        });
    }

    private static bool IsEventStream(HttpResponseMessage? response) =>
        string.Equals(response?.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    // RFC 9110 section 7.6.1: the headers a Connection header names describe that connection, not the message.
    private static IEnumerable<string> ConnectionTokens(StringValues connection) =>
        connection.SelectMany(value => (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
