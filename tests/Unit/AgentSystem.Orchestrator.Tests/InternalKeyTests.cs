using System.Net;
using System.Net.Http.Json;
using AgentSystem.Contracts;
using AgentSystem.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Tests;

/// <summary>
/// With <c>Internal:Key</c> set, the orchestrator answers only those who present it (the gateway, the worker), so the
/// owner a request names is believed only from them; the probes stay open to the kubelet.
/// </summary>
public sealed class InternalKeyTests
{
    private const string Key = "internal-key-for-the-tests";
    private const string PreviousKey = "the-key-before-the-rotation";

    private static readonly object Body = new { jobs = new[] { new { type = "echo", input = "x" } } };

    [Theory]
    [InlineData(null, "the request has none")]
    [InlineData("internal-key-for-the-testz", "does not match")]
    [InlineData("short", "does not match")]
    public async Task A_request_without_the_key_is_401_and_touches_nothing(string? presented, string saying)
    {
        await using var app = App();
        using var client = app.CreateClient();

        foreach (var request in new[]
        {
            new HttpRequestMessage(HttpMethod.Post, OrchestratorApp.Tasks) { Content = JsonContent.Create(Body) },
            new HttpRequestMessage(HttpMethod.Get, OrchestratorApp.Tasks),
            new HttpRequestMessage(HttpMethod.Get, OrchestratorApp.TaskUri(Guid.NewGuid())),
            new HttpRequestMessage(HttpMethod.Delete, OrchestratorApp.TaskUri(Guid.NewGuid())),
        })
        {
            using (request)
            {
                request.Headers.Add(Owner.HeaderName, "key-0");
                if (presented is not null)
                {
                    request.Headers.Add(InternalKey.HeaderName, presented);
                }

                using var response = await client.SendAsync(request);
                var problem = await Problems.ReadAsync(response, HttpStatusCode.Unauthorized);
                Assert.Contains(saying, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.DoesNotContain(Key, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }

        Assert.Equal(0, app.Repository.TaskCount);
    }

    [Theory]
    [InlineData(Key)]
    [InlineData(PreviousKey)]
    public async Task The_key_or_the_one_also_accepted_is_served(string presented)
    {
        await using var app = App();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(InternalKey.HeaderName, presented);

        using var response = await client.PostAsJsonAsync(OrchestratorApp.Tasks, Body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, app.Repository.TaskCount);
    }

    [Fact]
    public async Task A_key_given_twice_is_refused()
    {
        await using var app = App();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(InternalKey.HeaderName, [Key, Key]);

        using var response = await client.GetAsync(OrchestratorApp.Tasks);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_probe_is_open_without_a_key_and_refuses_a_wrong_one()
    {
        await using var app = App();
        using var client = app.CreateClient();
        var health = new Uri("/healthz", UriKind.Relative);

        using var open = await client.GetAsync(health);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, health) { Headers = { { InternalKey.HeaderName, "a-key-nobody-set-here" } } };
        using var refused = await client.SendAsync(wrong);

        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("a-key-nobody-set-here", HttpStatusCode.Unauthorized)]
    [InlineData(Key, HttpStatusCode.NoContent)]
    public async Task The_gateways_check_answers_only_with_the_key(string? presented, HttpStatusCode expected)
    {
        await using var app = App();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(InternalKeyExtensions.CheckPath, UriKind.Relative));
        if (presented is not null)
        {
            request.Headers.Add(InternalKey.HeaderName, presented);
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Without_a_key_set_every_caller_is_served_as_before()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var response = await client.PostAsJsonAsync(OrchestratorApp.Tasks, Body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task A_service_without_a_key_or_with_a_development_one_says_so_at_start_and_one_with_a_key_of_its_own_does_not()
    {
        await using var open = new OrchestratorApp();
        await using var known = new OrchestratorApp(new Dictionary<string, string?> { ["Internal:Key"] = Key, ["Internal:AlsoAccepted"] = "dev-only-internal-key" });
        await using var closed = App();

        foreach (var app in new[] { open, known, closed })
        {
            app.CreateClient().Dispose();
        }

        Assert.Contains(open.Logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.StartsWith("Internal:Key is not set", StringComparison.Ordinal));
        Assert.Contains(known.Logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.StartsWith("Internal:Key or Internal:AlsoAccepted is a development value", StringComparison.Ordinal));
        Assert.DoesNotContain(closed.Logs.Entries, entry => entry.Level >= LogLevel.Warning && entry.Message.Contains("Internal:Key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_development_database_password_is_said_at_start()
    {
        await using var known = new OrchestratorApp(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=unused;Password=dev-only-postgres-password",
        });
        await using var own = new OrchestratorApp(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=unused;Password=a-password-of-its-own",
        });
        known.CreateClient().Dispose();
        own.CreateClient().Dispose();

        Assert.Contains(known.Logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.StartsWith("The database password is a development value", StringComparison.Ordinal));
        Assert.DoesNotContain(own.Logs.Entries, entry => entry.Message.Contains("database password", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Internal:Key", "fifteen-chars!!", "Internal:Key must be 16 to 256")]
    [InlineData("Internal:Key", "a key with spaces in it", "Internal:Key must be 16 to 256")]
    [InlineData("Internal:AlsoAccepted", "an-accepted-key-without-a-key", "Internal:AlsoAccepted is set without Internal:Key")]
    public void A_key_it_cannot_use_fails_the_start_check_naming_the_setting(string setting, string value, string message)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [setting] = value });
        builder.AddInternalKey();
        using var host = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
    }

    private static OrchestratorApp App() => new(new Dictionary<string, string?>
    {
        ["Internal:Key"] = Key,
        ["Internal:AlsoAccepted"] = PreviousKey,
    });
}
