using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

// eShop's convention: this namespace puts the extensions in scope in every service's Program.cs without a using.
namespace Microsoft.Extensions.Hosting;

public static class ServiceDefaultsExtensions
{
    public const string HealthPath = "/healthz";
    public const string ReadyPath = "/readyz";
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // JSON lines for log collectors; a line a person can read where a person reads them (./build.sh Dev's console).
        if (builder.Environment.IsDevelopment())
        {
            builder.Logging.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        else
        {
            builder.Logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        builder.AddTelemetry();
        builder.AddInternalKey();
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = StatusProblems.Explain);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        PreferEnvironmentUrls(builder);
        Http2Endpoints.Add(builder);

        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Unhandled exceptions and bare status codes (404 on an unknown route) become ProblemDetails.
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.MapHealthChecks(HealthPath, HealthOptions(LiveTag)).DisableHttpMetrics().WithMetadata(ProbeWithoutInternalKey.Instance);
        // Services tag their dependency checks (database, queue) "ready" so /readyz reports them and /healthz does not.
        app.MapHealthChecks(ReadyPath, HealthOptions(ReadyTag)).DisableHttpMetrics().WithMetadata(ProbeWithoutInternalKey.Instance);

        return app;
    }

    // WebApplicationBuilder loads ASPNETCORE_* variables below appsettings.json, so the service's default "Urls"
    // there would shadow ASPNETCORE_URLS. Put the variable back on top unless --urls was given on the command line.
    private static void PreferEnvironmentUrls(IHostApplicationBuilder builder)
    {
        var urls = Environment.GetEnvironmentVariable("ASPNETCORE_URLS");
        if (string.IsNullOrWhiteSpace(urls) || builder.Configuration is not IConfigurationRoot root)
        {
            return;
        }

        var fromCommandLine = root.Providers.OfType<CommandLineConfigurationProvider>().Any(p => p.TryGet("urls", out _));
        if (!fromCommandLine)
        {
            builder.Configuration.AddInMemoryCollection([new KeyValuePair<string, string?>("urls", urls)]);
        }
    }

    private static HealthCheckOptions HealthOptions(string tag) => new()
    {
        Predicate = registration => registration.Tags.Contains(tag),
        ResponseWriter = WriteHealthAsync,
    };

    private static Task WriteHealthAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(
            new HealthResponse(
                report.Status.ToString(),
                report.Entries.ToDictionary(entry => entry.Key, entry => entry.Value.Status.ToString(), StringComparer.Ordinal)),
            HealthJsonContext.Default.HealthResponse);
}

internal sealed record HealthResponse(string Status, Dictionary<string, string> Checks);

// Source-generated so the probes keep working in trimmed images.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
