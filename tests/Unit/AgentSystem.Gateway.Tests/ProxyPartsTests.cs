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
        Assert.Equal("http://shared:8000/svc/healthz/internal-key", new Upstream("orchestrator", BehindPrefix, System.Net.HttpVersion.Version20).HealthUri.AbsoluteUri);
    }
}

public sealed class ApiKeyRingTests
{
    private readonly ApiKeyRing _ring = new(Options.Create(Keys(("0", "first-key"), ("1", ""), ("2", "second-key"), ("Acme", "acme-key"))));

    [Fact]
    public void Known_keys_are_named_by_their_entry_a_number_as_key_N_a_name_in_lower_case()
    {
        Assert.Equal("key-0", _ring.Identify("first-key"));
        Assert.Equal("key-2", _ring.Identify("second-key"));
        Assert.Equal("acme", _ring.Identify("acme-key"));
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

    [Theory]
    [InlineData("0", "key-0")]
    [InlineData("12", "key-12")]
    [InlineData("007", "key-7")]
    [InlineData("000", "key-0")]
    [InlineData("Billing-EU", "billing-eu")]
    [InlineData("key-3", "key-3")]
    public void An_entry_names_its_key(string entry, string name)
    {
        Assert.Equal(name, ApiKeyRing.NameOf(entry));
    }

    [Fact]
    public void Keys_are_the_entries_with_a_value()
    {
        Assert.Equal(["key-0", "key-2", "acme"], ApiKeyRing.Configured(Keys(("0", "a"), ("1", " "), ("2", "b"), ("acme", "c"))).Select(key => key.Name));
        Assert.Null(ApiKeyRing.Problem(Keys(("0", "a-key-of-17-chars"), ("1", ""), ("acme", "acme-key-0123456789"))));
    }

    [Theory]
    [InlineData("No API key is configured", "0=", "1= ")]
    [InlineData("Gateway:ApiKeys:acme_corp: a key's name (here 'acme_corp') must be", "acme_corp=a")]
    [InlineData("Gateway:ApiKeys:\u212Aey: a key's name (here 'key') must be", "\u212Aey=a")]   // the Kelvin sign, 'k' in lower case
    [InlineData("Gateway:ApiKeys:Worker: 'worker' names the worker's own conversations", "0=a", "Worker=b")]
    [InlineData("Gateway:ApiKeys:01 and Gateway:ApiKeys:1 both name the key 'key-1'", "01=a", "1=b")]
    [InlineData("Gateway:ApiKeys:3 and Gateway:ApiKeys:key-3 both name the key 'key-3'", "3=a", "key-3=b")]
    [InlineData("Gateway:ApiKeys:0 and Gateway:ApiKeys:acme hold the same key", "0=same", "acme=same")]
    [InlineData("Gateway:ApiKeys:acme: a key must be at least 16 characters", "0=a-key-of-17-chars", "acme=15-characters-0")]
    public void A_problem_with_the_keys_is_named(string problem, params string[] entries)
    {
        var options = Keys([.. entries.Select(entry => (entry[..entry.IndexOf('=', StringComparison.Ordinal)], entry[(entry.IndexOf('=', StringComparison.Ordinal) + 1)..]))]);

        Assert.StartsWith(problem, ApiKeyRing.Problem(options), StringComparison.Ordinal);
        Assert.True(new ApiKeysValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void A_problem_never_shows_a_key()
    {
        Assert.DoesNotContain("secret-value", ApiKeyRing.Problem(Keys(("0", "secret-value"), ("acme", "secret-value"))), StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", ApiKeyRing.Problem(Keys(("0", "short-secret"))), StringComparison.Ordinal);
    }

    private static GatewayOptions Keys(params (string Entry, string Key)[] keys)
    {
        var options = new GatewayOptions();
        foreach (var (entry, key) in keys)
        {
            options.ApiKeys[entry] = key;
        }

        return options;
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

public sealed class RuntimeSettingsTests
{
    /// <summary>helper-94: with growing windows each stalled event stream held about 430 KB of the gateway (docs/architecture.md).</summary>
    [Fact]
    public void The_gateway_runs_with_fixed_http2_stream_windows()
    {
        // The gateway's own runtimeconfig, which its project copies beside these tests (the test host runs with its own).
        var path = Path.Combine(AppContext.BaseDirectory, "AgentSystem.Gateway.runtimeconfig.json");
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));

        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.GetProperty("System.Net.SocketsHttpHandler.Http2FlowControl.DisableDynamicWindowSizing").GetBoolean());
    }
}
