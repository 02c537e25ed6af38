using AgentSystem.Gateway.Infrastructure;
using AgentSystem.Gateway.Proxy;
using AgentSystem.Gateway.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Tests;

public sealed class UpstreamTests
{
    private static readonly Upstream Orchestrator = new("orchestrator", new Uri("http://orchestrator:8000"), "/api/tasks", "/tasks");
    private static readonly Upstream BehindPrefix = new("orchestrator", new Uri("http://shared:8000/svc/"), "/api/tasks", "/tasks");

    [Theory]
    [InlineData("", "", "http://orchestrator:8000/tasks")]
    [InlineData("/3f0c/events", "?x=1&y=a%20b", "http://orchestrator:8000/tasks/3f0c/events?x=1&y=a%20b")]
    [InlineData("/a b", "", "http://orchestrator:8000/tasks/a%20b")]
    public void Request_uri_maps_the_public_path(string remainder, string query, string expected)
    {
        Assert.Equal(expected, Orchestrator.RequestUri(new PathString(remainder), new QueryString(query)).AbsoluteUri);
    }

    [Fact]
    public void Request_uri_keeps_the_upstreams_base_path()
    {
        Assert.Equal("http://shared:8000/svc/tasks/1", BehindPrefix.RequestUri(new PathString("/1"), QueryString.Empty).AbsoluteUri);
        Assert.Equal("http://shared:8000/svc/healthz", BehindPrefix.HealthUri.AbsoluteUri);
    }

    [Theory]
    [InlineData("/tasks/42", "/api/tasks/42")]
    [InlineData("/tasks", "/api/tasks")]
    [InlineData("/tasks?page=2", "/api/tasks?page=2")]
    [InlineData("http://orchestrator:8000/tasks/42", "/api/tasks/42")]
    [InlineData("/tasksother/1", "/tasksother/1")]
    [InlineData("/elsewhere", "/elsewhere")]
    [InlineData("http://other:8000/tasks/42", "http://other:8000/tasks/42")]
    [InlineData("relative/1", "relative/1")]
    public void Location_is_rewritten_only_when_it_points_at_the_upstream_prefix(string location, string expected)
    {
        Assert.Equal(expected, Orchestrator.RewriteLocation(location));
    }

    [Fact]
    public void Location_rewrite_honours_the_base_path()
    {
        Assert.Equal("/api/tasks/9", BehindPrefix.RewriteLocation("/svc/tasks/9"));
        Assert.Equal("/tasks/9", BehindPrefix.RewriteLocation("/tasks/9"));
    }
}

public sealed class ApiKeyRingTests
{
    private readonly ApiKeyRing _ring = new(Options.Create(new GatewayOptions { ApiKeys = ["first-key", "", "second-key"] }));

    [Fact]
    public void Known_keys_get_a_name_that_is_not_the_key()
    {
        Assert.Equal("key-0", _ring.Identify("first-key"));
        Assert.Equal("key-1", _ring.Identify("second-key"));
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
