using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// OpenTelemetry for every service: traces (ASP.NET Core requests, HttpClient calls and the services' own
/// <c>AgentSystem.*</c> sources, such as the worker's job spans), metrics (the <c>AgentSystem.*</c> meters, ASP.NET Core,
/// HttpClient, the runtime) and log correlation (TraceId, SpanId and ParentId in every log line's scopes).
/// </summary>
/// <remarks>
/// Nothing is sent anywhere unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (environment or configuration): then
/// traces, metrics and logs are exported by OTLP, and the other <c>OTEL_EXPORTER_OTLP_*</c> settings apply as the
/// specification says. Sampling is parent-based with an always-on root: a request that arrives without a trace starts a
/// sampled one (<c>-01</c>), so the traceparent the orchestrator stores with each job is sampled and the worker's span
/// joins the same trace; a caller's own decision (<c>-00</c>) is respected. The probes (/healthz, /readyz) are not traced.
/// <para>
/// The package source has neither OpenTelemetry.Extensions.Hosting nor the ASP.NET Core and HttpClient instrumentation
/// packages. The SDK is therefore bound to the host's service collection here (what Extensions.Hosting's
/// <c>AddOpenTelemetry()</c> does), and ASP.NET Core and HttpClient are traced through their built-in activity sources
/// and meters, which carry the same spans and the semantic conventions' metric names. No reflection-based configuration
/// binding is involved: the services are published trimmed.
/// </para>
/// </remarks>
public static class TelemetryDefaults
{
    /// <summary>Where OTLP goes; unset (the default) means no exporter at all.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Overrides the service name, which is otherwise the application name (e.g. AgentSystem.Gateway).</summary>
    public const string ServiceNameKey = "OTEL_SERVICE_NAME";

    /// <summary>The services' own activity sources and meters (wildcards work for both).</summary>
    public const string OwnSources = "AgentSystem.*";

    /// <summary>ASP.NET Core's server spans (Microsoft.AspNetCore.Hosting.HttpRequestIn).</summary>
    public const string AspNetCoreSource = "Microsoft.AspNetCore";

    /// <summary>HttpClient's client spans (System.Net.Http.HttpRequestOut); HttpClient sends their traceparent.</summary>
    public const string HttpClientSource = "System.Net.Http";

    public static IReadOnlyList<string> TraceSources { get; } = [OwnSources, AspNetCoreSource, HttpClientSource];

    public static IReadOnlyList<string> Meters { get; } =
    [
        OwnSources,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "System.Net.Http",
        "System.Net.NameResolution",
        "System.Runtime",
    ];

    /// <summary>True when an OTLP endpoint is configured, i.e. when anything is exported.</summary>
    public static bool IsOtlpExporterEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);
    }

    /// <summary><c>OTEL_SERVICE_NAME</c> when set, else the application name.</summary>
    public static string ServiceName(IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        return configuration[ServiceNameKey] is { } name && !string.IsNullOrWhiteSpace(name) ? name.Trim() : environment.ApplicationName;
    }

    /// <summary>Tracing, metrics and log correlation; the OTLP exporter only when <see cref="OtlpEndpointKey"/> is set.</summary>
    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Every log line's scopes carry the current trace: the JSON console writes them (IncludeScopes), so a job's
        // lines in the worker can be found by the trace id of the request that created it.
        builder.Logging.Configure(options => options.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        var serviceName = ServiceName(builder.Configuration, builder.Environment);
        var telemetry = new HostTelemetryBuilder(builder.Services)
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
                .AddSource([.. TraceSources]))
            .WithMetrics(metrics => metrics.AddMeter([.. Meters]));

        if (IsOtlpExporterEnabled(builder.Configuration))
        {
            // Traces, metrics and logs (this also adds the OpenTelemetry logger provider), configured from the
            // OTEL_EXPORTER_OTLP_* keys of the host's configuration.
            telemetry.UseOtlpExporter();
        }

        // The providers are built by the first resolution: make that happen before any hosted service (the worker's
        // consumer) starts, so the first job is already traced.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TelemetryStarter>());
        return builder;
    }

    /// <summary>
    /// Marks the probes' request spans as not recorded (so they are not exported, and the readiness checks' HttpClient
    /// calls made under them are not sampled either). The OpenTelemetry ASP.NET Core instrumentation's Filter does the
    /// same; that package is not available here.
    /// </summary>
    internal static IApplicationBuilder UseProbesUntraced(this IApplicationBuilder app, params string[] paths) =>
        app.Use((context, next) =>
        {
            if (IsAny(context.Request.Path, paths) && context.Features.Get<IHttpActivityFeature>()?.Activity is { } activity)
            {
                activity.IsAllDataRequested = false;
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            }

            return next(context);
        });

    private static bool IsAny(PathString path, string[] paths)
    {
        foreach (var candidate in paths)
        {
            if (path.StartsWithSegments(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The SDK bound to the host's own service collection: its providers are the host's singletons, disposed (and flushed) with it.</summary>
    private sealed class HostTelemetryBuilder(IServiceCollection services) : IOpenTelemetryBuilder
    {
        public IServiceCollection Services { get; } = services;
    }

    /// <summary>Resolves the providers when the host constructs its hosted services, i.e. before any of them starts.</summary>
    private sealed class TelemetryStarter : IHostedService
    {
        public TelemetryStarter(IServiceProvider services)
        {
            _ = services.GetService<TracerProvider>();
            _ = services.GetService<MeterProvider>();
        }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
