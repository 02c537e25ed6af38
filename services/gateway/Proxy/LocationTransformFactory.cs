using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AgentSystem.Gateway.Proxy;

/// <summary>
/// The route transform <c>{ "RewriteLocation": "/tasks", "As": "/api/tasks" }</c>: a <c>Location</c> that points at the
/// upstream's <c>/tasks</c> (its path, or an absolute URL on it) becomes the public <c>/api/tasks</c>; others are kept.
/// </summary>
public sealed class LocationTransformFactory : ITransformFactory
{
    public const string Key = "RewriteLocation";
    public const string AsKey = "As";

    public bool Validate(TransformRouteValidationContext context, IReadOnlyDictionary<string, string> transformValues)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(transformValues);

        if (!transformValues.TryGetValue(Key, out var upstreamPath))
        {
            return false;
        }

        if (transformValues.Count != 2 || !transformValues.TryGetValue(AsKey, out var publicPath) || !upstreamPath.StartsWith('/') || !publicPath.StartsWith('/'))
        {
            context.Errors.Add(new ArgumentException($"{Key} takes an upstream path and '{AsKey}', the public path, both starting with '/': {string.Join(';', transformValues.Keys)}"));
        }

        return true;
    }

    public bool Build(TransformBuilderContext context, IReadOnlyDictionary<string, string> transformValues)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(transformValues);

        if (!transformValues.TryGetValue(Key, out var upstreamPath))
        {
            return false;
        }

        var publicPath = transformValues[AsKey];
        context.AddResponseTransform(response =>
        {
            var headers = response.HttpContext.Response.Headers;
            if (headers.Location is [{ } location] && response.HttpContext.GetReverseProxyFeature().ProxiedDestination is { } destination)
            {
                headers.Location = Rewrite(location, new Uri(destination.Model.Config.Address), upstreamPath, publicPath);
            }

            return ValueTask.CompletedTask;
        });
        return true;
    }

    /// <summary>Maps <paramref name="location"/> under <paramref name="destination"/>'s <paramref name="upstreamPath"/> to <paramref name="publicPath"/>.</summary>
    public static string Rewrite(string location, Uri destination, string upstreamPath, string publicPath)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(destination);

        var path = location;
        if (Uri.TryCreate(location, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            if (Uri.Compare(absolute, destination, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) != 0)
            {
                return location;
            }

            path = absolute.PathAndQuery + absolute.Fragment;
        }

        var prefix = destination.AbsolutePath.TrimEnd('/') + upstreamPath;
        var matches = path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] is '/' or '?' or '#');
        return matches ? publicPath + path[prefix.Length..] : location;
    }
}
