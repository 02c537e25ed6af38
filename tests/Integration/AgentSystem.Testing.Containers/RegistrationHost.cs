using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// A host holding only what a library's registration (<c>AddStore</c>, <c>AddJobQueue</c>) adds, configured from
/// in-memory settings: what the registration suites start against the containers.
/// </summary>
public static class RegistrationHost
{
    public static IHost Build(Action<IHostApplicationBuilder> register, Dictionary<string, string?> settings, string? applicationName = null)
    {
        ArgumentNullException.ThrowIfNull(register);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = applicationName });
        builder.Configuration.AddInMemoryCollection(settings);
        register(builder);
        return builder.Build();
    }

    /// <summary>Starts such a host, runs its "ready" checks and stops it: a start that fails throws.</summary>
    public static async Task<HealthReport> ReadinessAsync(Action<IHostApplicationBuilder> register, Dictionary<string, string?> settings)
    {
        using var host = Build(register, settings);
        await host.StartAsync();
        var report = await host.CheckReadyAsync();
        await host.StopAsync();
        return report;
    }

    /// <summary>Runs the health checks tagged "ready": what a service's /readyz reports.</summary>
    public static Task<HealthReport> CheckReadyAsync(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(check => check.Tags.Contains("ready"));
    }
}
