using System.Reflection;

namespace AgentSystem.Gateway.Apis;

public sealed record ServiceInfo(string Name, string Version);

public static class InfoApi
{
    public const string ServiceName = "gateway";

    private static readonly ServiceInfo Info = new(
        ServiceName,
        typeof(InfoApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0");

    public static RouteGroupBuilder MapInfoApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Info");
        api.MapGet("/info", () => TypedResults.Ok(Info));
        return api;
    }
}
