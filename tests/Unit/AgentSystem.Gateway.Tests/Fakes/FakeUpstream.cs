using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AgentSystem.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentSystem.Gateway.Tests.Fakes;

/// <summary>What a fake upstream saw of a request.</summary>
public sealed record Echo(string Upstream, string Protocol, string Method, string Path, string Query, Dictionary<string, string> Headers, string Body)
{
    /// <summary>A request header by name, in any case (HttpClient writes some of its own way, e.g. X-Request-ID).</summary>
    public string? Header(string name) => Headers.FirstOrDefault(header => header.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>A stand-in orchestrator or chat on real Kestrel (127.0.0.1, random port) that echoes requests and has a few special routes.</summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);

    private FakeUpstream(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public Uri BaseUrl => new(_app.Urls.Single());

    /// <summary>
    /// Starts one; with <paramref name="internalKey"/>, it refuses requests without that key as the real services do. The
    /// orchestrator speaks HTTP/2 only, as at the port the gateway is given (its Http2Port), chat HTTP/1.1.
    /// </summary>
    public static async Task<FakeUpstream> StartAsync(string name, string? internalKey = null) =>
        await StartAsync(name, name == "orchestrator" ? HttpProtocols.Http2 : HttpProtocols.Http1, internalKey);

    /// <summary>Starts one that speaks <paramref name="protocols"/> (an orchestrator at the wrong address: Http1).</summary>
    public static async Task<FakeUpstream> StartAsync(string name, HttpProtocols protocols, string? internalKey = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ResponseHeaderEncodingSelector = _ => Encoding.UTF8;
            kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = protocols);
        });
        builder.Logging.ClearProviders();
        builder.Services.AddProblemDetails();
        builder.Services.Configure<InternalKeyOptions>(options => options.Key = internalKey);
        var upstream = new FakeUpstream(name, builder.Build());
        upstream._app.UseInternalKey();
        upstream.MapRoutes();
        await upstream._app.StartAsync();
        return upstream;
    }

    /// <summary>Lets <c>/chat/events?gate=NAME</c> write its second event.</summary>
    public void Open(string gate) => Gate(gate).TrySetResult();

    // Bound and never listening, for the whole test run: a connection to it is refused, and no listener on port 0 can be
    // given its port meanwhile (a listener closed at once hands its port back to the kernel).
    private static readonly Socket Unused = BindUnused();

    /// <summary>An address where nothing listens, for "upstream down".</summary>
    public static Uri UnusedAddress() => new($"http://127.0.0.1:{((IPEndPoint)Unused.LocalEndPoint!).Port}");

    private static Socket BindUnused()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private TaskCompletionSource Gate(string name) => _gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task GatedEventsAsync(HttpContext context, string gate)
    {
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync("data: first\n\n");
        await context.Response.Body.FlushAsync();
        await Gate(gate).Task.WaitAsync(TimeSpan.FromSeconds(30), context.RequestAborted);
        await context.Response.WriteAsync("data: second\n\n");
    }

    private void MapRoutes()
    {
        _app.Map("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            return Results.Json(new Echo(Name, context.Request.Protocol, context.Request.Method, context.Request.Path, context.Request.QueryString.Value ?? "", headers, await reader.ReadToEndAsync()));
        });
        _app.MapPost("/tasks", () => Results.Accepted("/tasks/42", new { id = 42 }));
        _app.MapGet("/tasks/absolute-location", () => Results.Created(new Uri(BaseUrl, "/tasks/7?view=full"), new { id = 7 }));
        _app.MapGet("/tasks/foreign-location", () => Results.Created("https://example.com/tasks/7", new { id = 7 }));
        // HTTP/1.1's: over HTTP/2 Kestrel drops a response's Connection header (connection-specific headers do not exist
        // there), so the headers it names would reach the client; the orchestrator sets none. Chat's route is the one to ask.
        _app.MapGet("/chat/hop-by-hop", (HttpContext context) =>
        {
            context.Response.Headers.Connection = "X-Upstream-Hop";
            context.Response.Headers["X-Upstream-Hop"] = "secret";
            context.Response.Headers.KeepAlive = "timeout=5";
            context.Response.Headers.ProxyAuthenticate = "Basic";
            context.Response.Headers["X-Kept"] = "yes";
            return "hop";
        });
        _app.MapGet("/tasks/unauthorized", (HttpContext context) =>
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "not the internal key's");
        });
        _app.MapGet("/tasks/note", (HttpContext context, string note) =>
        {
            context.Response.Headers["X-Note"] = note;
            return "noted";
        });
        // Reads nothing of a body it is sent.
        _app.MapMethods("/tasks/slow", [HttpMethods.Get, HttpMethods.Post], async (HttpContext context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            return "late";
        });
        _app.MapGet("/chat/events", GatedEventsAsync);
        _app.MapGet("/tasks/events", GatedEventsAsync);
        _app.MapGet("/chat/ticks", async (HttpContext context, int count, int intervalMs) =>
        {
            context.Response.ContentType = "text/event-stream";
            for (var i = 1; i <= count; i++)
            {
                await Task.Delay(intervalMs, context.RequestAborted);
                await context.Response.WriteAsync($"data: {i}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        });
        _app.MapGet("/chat/slow-events", async (HttpContext context, int delayMs) =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.Body.FlushAsync();
            await Task.Delay(delayMs, context.RequestAborted);
            await context.Response.WriteAsync("data: late but welcome\n\n");
        });
    }
}
