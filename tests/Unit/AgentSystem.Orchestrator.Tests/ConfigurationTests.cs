using System.Net;
using AgentSystem.Orchestrator.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSystem.Orchestrator.Tests;

/// <summary>Configuration is checked at start (ValidateOnStart), and the failure names the setting.</summary>
public sealed class ConfigurationTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=unused",
        ["Redis:Configuration"] = "127.0.0.1:1,abortConnect=false",
    };

    [Theory]
    [InlineData("ConnectionStrings:Postgres", "", "ConnectionStrings:Postgres")]
    [InlineData("Redis:Configuration", "", "Redis:Configuration")]
    [InlineData("Dispatcher:BatchSize", "0", "Dispatcher:BatchSize")]
    [InlineData("Dispatcher:Interval", "00:00:00", "Dispatcher:Interval")]
    [InlineData("Retention:FinishedTasks", "00:00:30", "Retention:FinishedTasks")]
    [InlineData("Retention:BatchSize", "0", "Retention:BatchSize")]
    [InlineData("Events:ResyncInterval", "00:00:00", "Events:ResyncInterval")]
    [InlineData("Events:ListenAfterLastStream", "02:00:00", "Events:ListenAfterLastStream")]
    [InlineData("Postgres:MaxPoolSize", "0", "Postgres:MaxPoolSize")]
    [InlineData("Tasks:MaxRequestBodyBytes", "10", "Tasks:MaxRequestBodyBytes")]
    [InlineData("Tasks:MaxRequestBodyBytes", "33554433", "Tasks:MaxRequestBodyBytes must be from 1024 to 33554432 bytes")]   // past half the bodies' budget
    [InlineData("Planner:ChatUrl", "chat", "Planner:ChatUrl")]
    public async Task A_bad_setting_fails_the_start_check_with_a_message_naming_it(string key, string value, string named)
    {
        await using var app = Build(new(Valid) { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_defaults_pass_the_start_check()
    {
        await using var app = Build(Valid);

        app.Services.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public async Task The_service_starts_with_the_defaults()
    {
        await using var app = new OrchestratorApp();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddApplicationServices();
        return builder.Build();
    }
}
