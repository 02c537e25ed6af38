using AgentSystem.Gateway.Infrastructure;
using AgentSystem.Gateway.Proxy;
using AgentSystem.Gateway.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AgentSystem.Gateway.Tests;

public sealed class LocationTransformTests
{
    private static readonly Uri Orchestrator = new("http://orchestrator:8000");
    private static readonly Uri BehindPrefix = new("http://shared:8000/svc/");

    [Theory]
    [InlineData("/tasks/42", "/api/tasks/42")]
    [InlineData("/tasks", "/api/tasks")]
    [InlineData("/tasks?page=2", "/api/tasks?page=2")]
    [InlineData("http://orchestrator:8000/tasks/42", "/api/tasks/42")]
    [InlineData("/tasksother/1", "/tasksother/1")]
    [InlineData("/elsewhere", "/elsewhere")]
    [InlineData("http://other:8000/tasks/42", "http://other:8000/tasks/42")]
    [InlineData("relative/1", "relative/1")]
    public void Location_is_rewritten_only_when_it_points_at_the_upstream_path(string location, string expected)
    {
        Assert.Equal(expected, LocationTransformFactory.Rewrite(location, Orchestrator, "/tasks", "/api/tasks"));
    }

    [Fact]
    public void Location_rewrite_honours_the_destinations_base_path()
    {
        Assert.Equal("/api/tasks/9", LocationTransformFactory.Rewrite("/svc/tasks/9", BehindPrefix, "/tasks", "/api/tasks"));
        Assert.Equal("/tasks/9", LocationTransformFactory.Rewrite("/tasks/9", BehindPrefix, "/tasks", "/api/tasks"));
    }

    [Theory]
    [InlineData("/tasks", "/api/tasks", true)]
    [InlineData("/tasks", null, false)]
    [InlineData("tasks", "/api/tasks", false)]
    public void The_route_transform_needs_two_paths(string upstreamPath, string? publicPath, bool valid)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { [LocationTransformFactory.Key] = upstreamPath };
        if (publicPath is not null)
        {
            values[LocationTransformFactory.AsKey] = publicPath;
        }

        var context = new TransformRouteValidationContext { Route = new RouteConfig { RouteId = "tasks" }, Services = new ServiceCollection().BuildServiceProvider() };

        Assert.True(new LocationTransformFactory().Validate(context, values));
        Assert.Equal(valid, context.Errors.Count == 0);
        Assert.False(new LocationTransformFactory().Validate(context, new Dictionary<string, string>(StringComparer.Ordinal) { ["PathRemovePrefix"] = "/api" }));
    }

    [Fact]
    public void Health_uri_keeps_the_upstreams_base_path()
    {
        Assert.Equal("http://shared:8000/svc/healthz", new Upstream("orchestrator", BehindPrefix).HealthUri.AbsoluteUri);
    }
}

public sealed class ApiKeyRingTests
{
    private readonly ApiKeyRing _ring = new(Options.Create(new GatewayOptions { ApiKeys = ["first-key", "", "second-key"] }));

    [Fact]
    public void Known_keys_are_named_by_their_place_a_blank_one_counted_so_that_revoking_a_key_renames_no_other()
    {
        Assert.Equal("key-0", _ring.Identify("first-key"));
        Assert.Equal("key-2", _ring.Identify("second-key"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("first-key ")]
    [InlineData("FIRST-KEY")]
    [InlineData("first")]
    public void Anything_else_is_unknown(string presented)
    {
        Assert.Null(_ring.Identify(presented));
    }
}

public sealed class RequestIdTests
{
    [Theory]
    [InlineData("abc", true)]
    [InlineData("0HN7:0000001.a_b-c", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("line\nbreak", false)]
    [InlineData("ünicode", false)]
    public void Sane_ids_are_short_plain_tokens(string id, bool sane)
    {
        Assert.Equal(sane, RequestIdMiddleware.IsSane(id));
        Assert.False(RequestIdMiddleware.IsSane(new string('a', RequestIdMiddleware.MaxLength + 1)));
    }
}
