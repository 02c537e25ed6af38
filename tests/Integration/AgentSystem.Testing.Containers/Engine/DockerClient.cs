using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentSystem.Testing.Containers.Engine;

/// <summary>
/// The few Docker Engine API calls the tests need, over HttpClient on the engine's socket. No Docker CLI: its output is
/// not an API, and it may be absent where the engine is not (Docker Desktop, CI runners with only the socket).
/// </summary>
public sealed class DockerClient : IDisposable
{
    /// <summary>The newest API this client asks for; a newer engine still serves it, an older one is asked for its own.</summary>
    public static readonly Version MaxApiVersion = new(1, 47);

    /// <summary>Oldest API with every call used here (multiple networks per container, label filters).</summary>
    public static readonly Version MinApiVersion = new(1, 25);

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Bound of a plain call (not a pull, not a stream) so a wedged engine fails a test instead of hanging it.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan PullTimeout = TimeSpan.FromMinutes(10);

    // /version's field; equal in name to the property below, by accident.
    private const string ApiVersionField = "ApiVersion";

    private readonly HttpClient http;

    private DockerClient(DockerEndpoint endpoint, HttpClient http, Version apiVersion, string? engineVersion)
    {
        Endpoint = endpoint;
        this.http = http;
        ApiVersion = apiVersion;
        EngineVersion = engineVersion;
    }

    public DockerEndpoint Endpoint { get; }

    /// <summary>The API version used for every call, negotiated from the engine's /_ping.</summary>
    public Version ApiVersion { get; }

    public string? EngineVersion { get; }

    /// <summary>Connects and negotiates the API version; a missing or silent engine becomes one <see cref="DockerUnavailableException"/>.</summary>
    public static async Task<DockerClient> ConnectAsync(DockerEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var http = CreateHttpClient(endpoint);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout * 2);
            using var ping = await http.GetAsync(new Uri("_ping", UriKind.Relative), timeout.Token).ConfigureAwait(false);
            if (!ping.IsSuccessStatusCode)
            {
                throw DockerUnavailableException.NotAnswering(
                    endpoint, new DockerApiException(ping.StatusCode, $"/_ping answered {(int)ping.StatusCode}"));
            }

            var serverApi = ping.Headers.TryGetValues("Api-Version", out var values) ? values.FirstOrDefault() : null;
            string? engineVersion = null;
            if (serverApi is null)
            {
                // Engines before API 1.25 had no Api-Version header on /_ping: /version says it too.
                var version = await ReadJsonAsync(await http.GetAsync(new Uri("version", UriKind.Relative), timeout.Token).ConfigureAwait(false), timeout.Token).ConfigureAwait(false);
                serverApi = version?[ApiVersionField]?.GetValue<string>();
                engineVersion = version?["Version"]?.GetValue<string>();
            }

            if (!Version.TryParse(serverApi, out var server))
            {
                throw DockerUnavailableException.NotAnswering(endpoint, new DockerApiException($"no API version in the engine's answer ({serverApi})"));
            }

            if (server < MinApiVersion)
            {
                throw new DockerUnavailableException(
                    $"The Docker engine at {endpoint} speaks API {server}, older than the {MinApiVersion} this library needs: upgrade Docker");
            }

            var apiVersion = server < MaxApiVersion ? server : MaxApiVersion;
            return new DockerClient(endpoint, http, apiVersion, engineVersion);
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            http.Dispose();
            var socketError = FindSocketError(ex);
            throw socketError == SocketError.AccessDenied
                ? DockerUnavailableException.PermissionDenied(endpoint, ex)
                : DockerUnavailableException.NotAnswering(endpoint, ex);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    public async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"images/{image}/json", null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Pulls an image; the engine reports registry errors inside a 200 stream, so the stream is read to the end.</summary>
    public async Task PullImageAsync(string image, CancellationToken cancellationToken)
    {
        var (repository, tag) = SplitTag(image);
        var query = tag is null
            ? $"images/create?fromImage={Uri.EscapeDataString(repository)}"
            : $"images/create?fromImage={Uri.EscapeDataString(repository)}&tag={Uri.EscapeDataString(tag)}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PullTimeout);
        using var response = await SendAsync(HttpMethod.Post, query, null, timeout.Token, streaming: true).ConfigureAwait(false);
        await EnsureSuccessAsync(response, timeout.Token).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false));
        while (await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0 && JsonNode.Parse(line) is JsonObject progress && progress["error"] is { } error)
            {
                throw new DockerApiException($"pulling {image} failed: {error.GetValue<string>()}");
            }
        }
    }

    public async Task<string> CreateContainerAsync(string name, JsonObject spec, CancellationToken cancellationToken)
    {
        var created = await SendJsonAsync(HttpMethod.Post, $"containers/create?name={Uri.EscapeDataString(name)}", spec, cancellationToken).ConfigureAwait(false);
        return created?["Id"]?.GetValue<string>() ?? throw new DockerApiException("container create answered no Id");
    }

    public Task StartContainerAsync(string id, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Post, $"containers/{id}/start", null, cancellationToken, HttpStatusCode.NotModified);

    public async Task<JsonObject> InspectContainerAsync(string id, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Get, $"containers/{id}/json", null, cancellationToken).ConfigureAwait(false) as JsonObject
        ?? throw new DockerApiException($"inspecting container {id} answered nothing");

    /// <summary>Null when the container no longer exists.</summary>
    public async Task<JsonObject?> TryInspectContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"containers/{id}/json", null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false) as JsonObject;
    }

    public Task StopContainerAsync(string id, TimeSpan timeout, CancellationToken cancellationToken) =>
        SendJsonAsync(
            HttpMethod.Post,
            string.Create(CultureInfo.InvariantCulture, $"containers/{id}/stop?t={(int)Math.Ceiling(timeout.TotalSeconds)}"),
            null,
            cancellationToken,
            HttpStatusCode.NotModified);

    /// <summary>Freezes every process of a running container (cgroup freezer): its ports stay open but nothing answers.</summary>
    public Task PauseContainerAsync(string id, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Post, $"containers/{id}/pause", null, cancellationToken);

    /// <summary>Resumes a paused container.</summary>
    public Task UnpauseContainerAsync(string id, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Post, $"containers/{id}/unpause", null, cancellationToken);

    /// <summary>Force-removes a container with its anonymous volumes; one already gone is not an error.</summary>
    public Task RemoveContainerAsync(string id, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Delete, $"containers/{id}?force=true&v=true", null, cancellationToken, HttpStatusCode.NotFound, HttpStatusCode.Conflict);

    /// <summary>The container's stdout and stderr; tail null means all of it.</summary>
    public async Task<ContainerOutput> GetLogsAsync(string id, int? tail, CancellationToken cancellationToken)
    {
        var tailValue = tail?.ToString(CultureInfo.InvariantCulture) ?? "all";
        using var response = await SendAsync(HttpMethod.Get, $"containers/{id}/logs?stdout=true&stderr=true&tail={tailValue}", null, cancellationToken, streaming: true).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await DockerStreamDemultiplexer.ReadAllAsync(stream, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a command in a running container and waits for it: exit code, stdout and stderr.</summary>
    public async Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var spec = new JsonObject
        {
            ["AttachStdin"] = false,
            ["AttachStdout"] = true,
            ["AttachStderr"] = true,
            ["Tty"] = false,
            ["Cmd"] = ToJsonArray(command),
        };
        var created = await SendJsonAsync(HttpMethod.Post, $"containers/{containerId}/exec", spec, cancellationToken).ConfigureAwait(false);
        var execId = created?["Id"]?.GetValue<string>() ?? throw new DockerApiException("exec create answered no Id");

        ContainerOutput output;
        var start = new JsonObject { ["Detach"] = false, ["Tty"] = false };
        using (var response = await SendAsync(HttpMethod.Post, $"exec/{execId}/start", start, cancellationToken, streaming: true).ConfigureAwait(false))
        {
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            // The engine hijacks the connection: the body is the raw multiplexed stream until the command ends.
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                output = await DockerStreamDemultiplexer.ReadAllAsync(stream, cancellationToken).ConfigureAwait(false);
            }
        }

        // The stream ends a moment before the engine records the exit code.
        while (true)
        {
            var inspect = await SendJsonAsync(HttpMethod.Get, $"exec/{execId}/json", null, cancellationToken).ConfigureAwait(false);
            if (inspect?["Running"]?.GetValue<bool>() != true)
            {
                return new ExecResult(inspect?["ExitCode"]?.GetValue<int?>() ?? -1, output);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<string> CreateNetworkAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var spec = new JsonObject
        {
            ["Name"] = name,
            ["Driver"] = "bridge",
            ["CheckDuplicate"] = true,
            ["Labels"] = ToJsonObject(labels),
        };
        var created = await SendJsonAsync(HttpMethod.Post, "networks/create", spec, cancellationToken).ConfigureAwait(false);
        return created?["Id"]?.GetValue<string>() ?? throw new DockerApiException("network create answered no Id");
    }

    public Task ConnectNetworkAsync(string networkId, string containerId, IReadOnlyList<string> aliases, CancellationToken cancellationToken) =>
        SendJsonAsync(
            HttpMethod.Post,
            $"networks/{networkId}/connect",
            new JsonObject { ["Container"] = containerId, ["EndpointConfig"] = new JsonObject { ["Aliases"] = ToJsonArray(aliases) } },
            cancellationToken);

    public Task RemoveNetworkAsync(string id, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Delete, $"networks/{id}", null, cancellationToken, HttpStatusCode.NotFound);

    public Task CreateVolumeAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Post, "volumes/create", new JsonObject { ["Name"] = name, ["Labels"] = ToJsonObject(labels) }, cancellationToken);

    public Task RemoveVolumeAsync(string name, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Delete, $"volumes/{name}?force=true", null, cancellationToken, HttpStatusCode.NotFound);

    /// <summary>Containers (running or not) carrying every given label ("key" or "key=value").</summary>
    public Task<IReadOnlyList<JsonObject>> ListContainersAsync(IEnumerable<string> labels, CancellationToken cancellationToken) =>
        ListAsync($"containers/json?all=true&filters={LabelFilter(labels)}", null, cancellationToken);

    public Task<IReadOnlyList<JsonObject>> ListNetworksAsync(IEnumerable<string> labels, CancellationToken cancellationToken) =>
        ListAsync($"networks?filters={LabelFilter(labels)}", null, cancellationToken);

    public Task<IReadOnlyList<JsonObject>> ListVolumesAsync(IEnumerable<string> labels, CancellationToken cancellationToken) =>
        ListAsync($"volumes?filters={LabelFilter(labels)}", "Volumes", cancellationToken);

    public void Dispose() => http.Dispose();

    internal static (string Repository, string? Tag) SplitTag(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return (image, null); // a digest reference is pulled whole
        }

        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    private static HttpClient CreateHttpClient(DockerEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = ConnectTimeout,
            // The machine's HTTP(S)_PROXY is for package traffic, never for the local engine.
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        if (endpoint.SocketPath is { } path)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        // Bounds come from each call's token (a pull may take minutes, a stream as long as its command).
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = endpoint.HttpBaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    private static SocketError? FindSocketError(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }

    private static string LabelFilter(IEnumerable<string> labels) =>
        Uri.EscapeDataString(new JsonObject { ["label"] = ToJsonArray(labels.ToList()) }.ToJsonString());

    private static JsonArray ToJsonArray(IReadOnlyList<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static JsonObject ToJsonObject(IReadOnlyDictionary<string, string> values) =>
        new(values.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)JsonValue.Create(pair.Value))));

    private static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using (response)
        {
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken, params HttpStatusCode[] alsoFine)
    {
        if (response.IsSuccessStatusCode || alsoFine.Contains(response.StatusCode))
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string message;
        try
        {
            message = JsonNode.Parse(body)?["message"]?.GetValue<string>() ?? body;
        }
        catch (JsonException)
        {
            message = body;
        }

        var request = response.RequestMessage;
        throw new DockerApiException(
            response.StatusCode,
            $"Docker {request?.Method} {request?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {message.Trim()}");
    }

    private async Task<IReadOnlyList<JsonObject>> ListAsync(string path, string? property, CancellationToken cancellationToken)
    {
        var node = await SendJsonAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        var array = property is null ? node as JsonArray : node?[property] as JsonArray;
        return array?.OfType<JsonObject>().ToList() ?? [];
    }

    private async Task<JsonNode?> SendJsonAsync(
        HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken, params HttpStatusCode[] alsoFine)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await SendAsync(method, path, body, timeout.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(response, timeout.Token, alsoFine).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken, bool streaming = false)
    {
        var request = new HttpRequestMessage(method, new Uri($"v{ApiVersion.Major}.{ApiVersion.Minor}/{path}", UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        var completion = streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead;
        return SendAndDisposeRequestAsync(request, completion, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAndDisposeRequestAsync(
        HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using (request)
        {
            return await http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
    }
}
