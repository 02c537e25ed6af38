// A resource reaper that speaks Ryuk's protocol (testcontainers/ryuk), for machines where Ryuk's image cannot be
// pulled: the tests' library starts it (SessionReaper, tests/Integration/AgentSystem.Testing.Containers) with the Docker
// socket mounted and its port on 127.0.0.1, connects to port 8080, sends one filter per line
// ("label=key=value&label=other=value", one of them its session's label; any other filter is refused with "ERR") and
// gets "ACK" back, and keeps the connection open. Once every connection has been closed (the test process ended, or
// was killed) for RYUK_RECONNECTION_TIMEOUT (10 s), it removes the containers, networks, volumes and images matching
// the filters, and exits.
#:property PublishAot=false
#:property PublishTrimmed=true
#:property PublishSingleFile=true
#:property SelfContained=true
#:property InvariantGlobalization=true

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

const string SessionLabel = "org.testcontainers.resource-reaper-session";
var reconnectionTimeout = Seconds("RYUK_RECONNECTION_TIMEOUT", 10);
var connectionTimeout = Seconds("RYUK_CONNECTION_TIMEOUT", 60);
var filters = new ConcurrentDictionary<string, byte>();
var connections = 0;
var idle = Stopwatch.StartNew();

var listener = new TcpListener(IPAddress.Any, 8080);
listener.Start();
Console.WriteLine("Started");
_ = Task.Run(async () =>
{
    while (true)
    {
        var client = await listener.AcceptTcpClientAsync();
        Interlocked.Increment(ref connections);
        _ = Task.Run(() => Serve(client));
    }
});

while (Volatile.Read(ref connections) > 0 || idle.Elapsed < (filters.IsEmpty ? connectionTimeout : reconnectionTimeout))
{
    await Task.Delay(250);
}
if (filters.IsEmpty)
{
    Console.WriteLine("No connection and no filter: nothing to remove.");
    return;
}
await Prune();

async Task Serve(TcpClient client)
{
    try
    {
        using (client)
        using (var reader = new StreamReader(client.GetStream(), Encoding.ASCII))
        {
            var stream = client.GetStream();
            while (await reader.ReadLineAsync() is { } line)
            {
                var filter = line.Trim();
                if (filter.Length == 0) continue;
                if (!NamesASession(filter))
                {
                    // Its port is published: "name=" from anyone who reaches it would match every container and volume.
                    Console.WriteLine($"Filter refused (only labels, one of them {SessionLabel}=<id>): {filter}");
                    await stream.WriteAsync("ERR\n"u8.ToArray());
                    return;
                }

                filters.TryAdd(filter, 0);
                Console.WriteLine($"Filter added: {filter}");
                await stream.WriteAsync("ACK\n"u8.ToArray());
            }
        }
    }
    catch (IOException)
    {
        // A killed client resets the connection: that is the signal, not an error.
    }
    finally
    {
        idle.Restart();
        Interlocked.Decrement(ref connections);
    }
}

async Task Prune()
{
    using var docker = new HttpClient(new SocketsHttpHandler
    {
        ConnectCallback = async (_, token) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint("/var/run/docker.sock"), token);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = new Uri("http://docker") };
    var removed = new Dictionary<string, int> { ["container"] = 0, ["network"] = 0, ["volume"] = 0, ["image"] = 0 };
    foreach (var filter in filters.Keys)
    {
        var query = Uri.EscapeDataString(DockerFilter(filter));
        // Containers first (with their anonymous volumes), so that their networks and volumes are free to go.
        foreach (var id in await List(docker, $"/containers/json?all=1&filters={query}", "Id"))
            if (!id.StartsWith(Environment.MachineName, StringComparison.Ordinal) && await Remove(docker, $"/containers/{id}?force=1&v=1")) removed["container"]++;
        foreach (var id in await List(docker, $"/networks?filters={query}", "Id"))
            if (await Remove(docker, $"/networks/{id}")) removed["network"]++;
        foreach (var name in await List(docker, $"/volumes?filters={query}", "Name"))
            if (await Remove(docker, $"/volumes/{name}?force=1")) removed["volume"]++;
        foreach (var id in await List(docker, $"/images/json?filters={query}", "Id"))
            if (await Remove(docker, $"/images/{id}?force=1")) removed["image"]++;
    }
    Console.WriteLine($"Removed {string.Join(", ", removed.Select(r => $"{r.Value} {r.Key}(s)"))}");
}

// Only what a session sends: labels, one of them its session's, so a filter can never reach beyond one session. Not the
// empty session (all zeros): it labels what was kept on purpose (WithCleanUp(false)) and every session's reaper.
static bool NamesASession(string line)
{
    var pairs = line.Split('&').Select(pair => pair.Split('=', 2)).ToList();
    return pairs.All(pair => pair is ["label", { Length: > 0 }])
        && pairs.Any(pair => Uri.UnescapeDataString(pair[1]).Split('=', 2) is [SessionLabel, { Length: > 0 } session]
            && !(Guid.TryParse(session, out var id) && id == Guid.Empty));
}

// "label=a=b&label=c=d" (a URL query, as Ryuk reads it) to Docker's filter JSON {"label":["a=b","c=d"]}.
static string DockerFilter(string line)
{
    var byKey = line.Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .GroupBy(pair => Uri.UnescapeDataString(pair[0]), pair => pair.Length > 1 ? Uri.UnescapeDataString(pair[1].Replace('+', ' ')) : "");
    using var buffer = new MemoryStream();
    using (var json = new Utf8JsonWriter(buffer))
    {
        json.WriteStartObject();
        foreach (var group in byKey)
        {
            json.WriteStartArray(group.Key);
            foreach (var value in group) json.WriteStringValue(value);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }
    return Encoding.UTF8.GetString(buffer.ToArray());
}

static async Task<List<string>> List(HttpClient docker, string path, string field)
{
    using var document = JsonDocument.Parse(await docker.GetStringAsync(path));
    var items = document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.GetProperty("Volumes") : document.RootElement;
    return items.ValueKind == JsonValueKind.Array ? [.. items.EnumerateArray().Select(item => item.GetProperty(field).GetString()!)] : [];
}

// A network may still have an endpoint of a container being removed: a few tries, as Ryuk does.
static async Task<bool> Remove(HttpClient docker, string path)
{
    for (var attempt = 1; ; attempt++)
    {
        using var response = await docker.DeleteAsync(path);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound) return response.IsSuccessStatusCode;
        if (attempt == 10)
        {
            Console.WriteLine($"Could not remove {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return false;
        }
        await Task.Delay(1000);
    }
}

static TimeSpan Seconds(string variable, int fallback) =>
    TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable(variable)?.TrimEnd('s'), out var seconds) ? seconds : fallback);
