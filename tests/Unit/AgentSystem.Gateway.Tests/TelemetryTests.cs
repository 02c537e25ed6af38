using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Net.Http.Json;
using AgentSystem.Gateway.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace AgentSystem.Gateway.Tests;

/// <summary>What AddServiceDefaults sets up for OpenTelemetry (services/shared/ServiceDefaults/Telemetry.cs).</summary>
public sealed class TelemetryTests
{
    private static readonly string ApplicationName = typeof(TelemetryTests).Assembly.GetName().Name!;

    [Fact]
    public async Task AddServiceDefaults_registers_a_tracer_provider_named_after_the_application()
    {
        await using var app = Build(otlpEndpoint: null);

        var tracing = app.Services.GetService<TracerProvider>();

        Assert.NotNull(tracing);
        var resource = tracing.GetResource().Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(ApplicationName, resource["service.name"]);
    }

    [Fact]
    public async Task OTEL_SERVICE_NAME_overrides_the_service_name()
    {
        await using var app = Build(otlpEndpoint: null, serviceName: "gateway-blue");

        var resource = app.Services.GetRequiredService<TracerProvider>().GetResource().Attributes.ToDictionary(a => a.Key, a => a.Value);

        Assert.Equal("gateway-blue", resource["service.name"]);
    }

    [Fact]
    public async Task The_services_own_sources_are_sampled_parent_based_with_an_always_on_root()
    {
        await using var app = Build(otlpEndpoint: null);
        _ = app.Services.GetRequiredService<TracerProvider>();
        using var source = new ActivitySource("AgentSystem.TelemetryTests");
        var traceId = ActivityTraceId.CreateRandom();

        using (var root = source.StartActivity("root"))
        {
            Assert.NotNull(root);
            Assert.True(root.Recorded, "a root span is sampled, so the traceparent stored with a job ends in -01");
        }

        var sampledParent = new ActivityContext(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        using (var child = source.StartActivity("child", ActivityKind.Consumer, sampledParent))
        {
            Assert.NotNull(child);
            Assert.True(child.Recorded);
            Assert.Equal(traceId, child.TraceId);
            Assert.Equal(sampledParent.SpanId, child.ParentSpanId);
        }

        // A caller that decided not to sample: the trace still continues (same id), unrecorded.
        var unsampledParent = new ActivityContext(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, isRemote: true);
        using (var child = source.StartActivity("child", ActivityKind.Consumer, unsampledParent))
        {
            Assert.NotNull(child);
            Assert.False(child.Recorded);
            Assert.Equal(traceId, child.TraceId);
        }
    }

    [Fact]
    public async Task A_client_call_outside_any_request_or_job_starts_no_trace()
    {
        await using var app = Build(otlpEndpoint: null);
        _ = app.Services.GetRequiredService<TracerProvider>();
        using var source = new ActivitySource("AgentSystem.TelemetryTests");

        using (var poll = source.StartActivity("poll", ActivityKind.Client))
        {
            Assert.False(poll?.Recorded ?? false, "a background loop's query would be a trace of its own");
        }

        using var request = source.StartActivity("request", ActivityKind.Server);
        using var query = source.StartActivity("query", ActivityKind.Client);
        Assert.True(request?.Recorded);
        Assert.True(query?.Recorded);
        Assert.Equal(request!.SpanId, query!.ParentSpanId);
    }

    [Theory]
    [InlineData("Npgsql")]
    [InlineData("System.Net.Http")]
    public async Task The_client_libraries_spans_are_recorded_under_a_sampled_parent(string sourceName)
    {
        await using var app = Build(otlpEndpoint: null);
        _ = app.Services.GetRequiredService<TracerProvider>();
        using var source = new ActivitySource(sourceName);
        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);

        using var span = source.StartActivity("call", ActivityKind.Client, parent);

        Assert.NotNull(span);
        Assert.True(span.Recorded);
    }

    [Fact]
    public void Without_an_OTLP_endpoint_no_exporter_is_configured()
    {
        var builder = CreateBuilder(otlpEndpoint: null);

        builder.AddServiceDefaults();

        Assert.False(TelemetryDefaults.IsOtlpExporterEnabled(builder.Configuration));
        Assert.DoesNotContain(builder.Services, IsOtlpRegistration);
        using var app = builder.Build();
        Assert.NotNull(app.Services.GetService<TracerProvider>());
        Assert.DoesNotContain(app.Services.GetServices<ILoggerProvider>(), provider => provider is OpenTelemetryLoggerProvider);
    }

    [Fact]
    public void With_an_OTLP_endpoint_traces_metrics_and_logs_are_exported()
    {
        // Registrations only: nothing is built, so nothing tries to reach the endpoint.
        var builder = CreateBuilder(otlpEndpoint: "http://127.0.0.1:4317");

        builder.AddServiceDefaults();

        Assert.True(TelemetryDefaults.IsOtlpExporterEnabled(builder.Configuration));
        Assert.Contains(builder.Services, IsOtlpRegistration);
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(ILoggerProvider) && !d.IsKeyedService && d.ImplementationFactory is not null
            && d.ImplementationFactory.Method.DeclaringType?.Assembly == typeof(OpenTelemetryLoggerProvider).Assembly);
    }

    [Fact]
    public async Task Log_lines_carry_the_trace_and_span_ids()
    {
        await using var app = Build(otlpEndpoint: null);

        var tracking = app.Services.GetRequiredService<IOptions<LoggerFactoryOptions>>().Value.ActivityTrackingOptions;

        Assert.True(tracking.HasFlag(ActivityTrackingOptions.TraceId), $"{tracking}");
        Assert.True(tracking.HasFlag(ActivityTrackingOptions.SpanId), $"{tracking}");
    }

    [Fact]
    public async Task The_probes_are_not_traced_other_requests_are()
    {
        var builder = CreateBuilder(otlpEndpoint: null);
        builder.WebHost.UseTestServer();
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        var seen = new ConcurrentDictionary<string, (bool Recorded, bool AllData)>(StringComparer.Ordinal);
        app.MapDefaultEndpoints();
        app.Use((context, next) =>
        {
            // Runs after the defaults' middleware, before the endpoint: the request's span as the exporter will see it.
            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpActivityFeature>()?.Activity is { } activity)
            {
                seen[context.Request.Path.Value!] = (activity.Recorded, activity.IsAllDataRequested);
            }

            return next(context);
        });
        app.MapGet("/work", () => "done");
        await app.StartAsync();
        using var client = app.GetTestClient();

        foreach (var path in new[] { "/healthz", "/readyz", "/work" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            response.EnsureSuccessStatusCode();
        }

        Assert.Equal((false, false), seen["/healthz"]);
        Assert.Equal((false, false), seen["/readyz"]);
        Assert.Equal((true, true), seen["/work"]);
    }

    private static WebApplication Build(string? otlpEndpoint, string? serviceName = null)
    {
        var builder = CreateBuilder(otlpEndpoint, serviceName);
        builder.AddServiceDefaults();
        return builder.Build();
    }

    private static WebApplicationBuilder CreateBuilder(string? otlpEndpoint, string? serviceName = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = ApplicationName, EnvironmentName = Environments.Production });
        // Explicit, so an OTEL_* variable of the machine running the tests does not change them.
        builder.Configuration.AddInMemoryCollection(
        [
            new(TelemetryDefaults.OtlpEndpointKey, otlpEndpoint ?? ""),
            new(TelemetryDefaults.ServiceNameKey, serviceName ?? ""),
        ]);
        return builder;
    }

    /// <summary>A registration that comes from the OTLP exporter package (its options, its UseOtlpExporter marker).</summary>
    private static bool IsOtlpRegistration(ServiceDescriptor descriptor)
    {
        var otlp = typeof(OtlpExporterOptions).Assembly;
        var implementation = descriptor.IsKeyedService ? descriptor.KeyedImplementationType : descriptor.ImplementationType;
        return descriptor.ServiceType.Assembly == otlp
            || descriptor.ServiceType.GenericTypeArguments.Any(type => type.Assembly == otlp)
            || implementation?.Assembly == otlp;
    }
}

/// <summary>The gateway, as built by its Program.cs, forwards a sampled trace context unless the caller decided otherwise.</summary>
public sealed class GatewayTracingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task The_request_and_its_forwarded_call_are_recorded_in_the_callers_trace()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        var spans = new Spans();
        await using var gateway = fixture.NewGateway(
            new Dictionary<string, string?>(), services: services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var echo = await UntracedCaller.GetEchoAsync(gateway.Address, "/api/tasks/echo", new Dictionary<string, string>
        {
            ["X-Api-Key"] = GatewayFactory.Key,
            ["traceparent"] = $"00-{traceId}-{callerSpan}-01",
        });

        // The server span ends after the response is out: wait for its export.
        var server = await spans.WaitForAsync(span => span.TraceId == traceId && span.ParentSpanId == callerSpan);
        var forward = Assert.Single(spans.Snapshot(), span => span.ParentSpanId == server.SpanId && span.Kind == ActivityKind.Client);
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal("GET", forward.GetTagItem("http.request.method"));
        Assert.Equal($"00-{traceId}-{forward.SpanId}-01", echo.Header("traceparent"));
    }

    [Theory]
    [InlineData(null, "01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "00")]
    public async Task The_forwarded_traceparent_follows_the_callers_sampling_decision(string? incoming, string expectedFlags)
    {
        var headers = new Dictionary<string, string> { ["X-Api-Key"] = GatewayFactory.Key };
        if (incoming is not null)
        {
            headers["traceparent"] = incoming;
        }

        var echo = await UntracedCaller.GetEchoAsync(fixture.Gateway.Address, "/api/tasks/echo", headers);

        var traceparent = echo.Header("traceparent");
        var traceId = incoming is null ? "[0-9a-f]{32}" : incoming.Split('-')[1];
        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-{expectedFlags}$", traceparent);
    }
}

/// <summary>What the in-memory exporter receives, readable while it is written to.</summary>
internal sealed class Spans : Collection<Activity>
{
    private readonly Lock _lock = new();

    public Activity[] Snapshot()
    {
        lock (_lock)
        {
            return [.. Items];
        }
    }

    public async Task<Activity> WaitForAsync(Func<Activity, bool> match)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (Snapshot().FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"no such span was exported; got: {string.Join(", ", Snapshot().Select(span => span.DisplayName))}");
    }

    protected override void InsertItem(int index, Activity item)
    {
        lock (_lock)
        {
            base.InsertItem(index, item);
        }
    }
}
