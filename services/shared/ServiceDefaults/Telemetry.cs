using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// OpenTelemetry for every service: traces (ASP.NET Core requests, HttpClient calls, Npgsql commands and the services'
/// own <c>AgentSystem.*</c> sources, such as the worker's job spans), metrics (the same, plus the runtime) and log
/// correlation (TraceId, SpanId and ParentId in every log line's scopes).
/// </summary>
/// <remarks>
/// Nothing is sent anywhere unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (environment or configuration): then
/// traces, metrics and logs are exported by OTLP, and the other <c>OTEL_EXPORTER_OTLP_*</c> settings apply as the
/// specification says. Sampling is parent-based: a request that arrives without a trace starts a sampled one
/// (<c>-01</c>), so the traceparent the orchestrator stores with each job is sampled and the worker's span joins the
/// same trace; a caller's own decision (<c>-00</c>) is respected. The probes (/healthz, /readyz) are not traced.
/// </remarks>
public static class TelemetryDefaults
{
    /// <summary>Where OTLP goes; unset (the default) means no exporter at all.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Overrides the service name, which is otherwise the application name (e.g. AgentSystem.Gateway).</summary>
    public const string ServiceNameKey = "OTEL_SERVICE_NAME";

    /// <summary>The services' own activity sources and meters (wildcards work for both).</summary>
    public const string OwnSources = "AgentSystem.*";

    /// <summary>Built into .NET (GC, thread pool, exceptions); no instrumentation package needed.</summary>
    public const string RuntimeMeter = "System.Runtime";

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

        // AddOpenTelemetry starts the providers in a hosted service registered here, i.e. before the services' own
        // (the worker's consumer), so the first job is already traced.
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName(builder.Configuration, builder.Environment)))
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new RootSampler()))
                .AddSource(OwnSources)
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(OwnSources, RuntimeMeter)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation());

        if (IsOtlpExporterEnabled(builder.Configuration))
        {
            // Traces, metrics and logs (this also adds the OpenTelemetry logger provider), configured from the
            // OTEL_EXPORTER_OTLP_* keys of the host's configuration.
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    // Probes are frequent and say nothing about a request's path through the system. A filtered request's span is
    // marked not recorded, so the readiness checks' calls made under it are not sampled either.
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments(ServiceDefaultsExtensions.HealthPath, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(ServiceDefaultsExtensions.ReadyPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// For spans without a parent: requests and jobs start a sampled trace; a client call (a query, an HTTP call)
    /// outside any of them does not, as background loops (the reconciler, the queue's polls) would each make a trace
    /// of one span.
    /// </summary>
    internal sealed class RootSampler : Sampler
    {
        private static readonly SamplingResult Sample = new(SamplingDecision.RecordAndSample);
        private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            samplingParameters.Kind == ActivityKind.Client ? Drop : Sample;
    }
}
