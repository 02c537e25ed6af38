using System.Globalization;
using System.Net;

namespace AgentSystem.Testing.Containers.Waits;

/// <summary>An HTTP GET of a path on a published port answers the expected status.</summary>
public sealed class HttpWaitStrategy(int containerPort, string path = "/", HttpStatusCode expectedStatus = HttpStatusCode.OK) : WaitStrategy
{
    // One client for all checks; never through the machine's proxy (it is for package traffic, not for loopback).
    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = ContainerDefaults.AttemptTimeout })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    public override int? ContainerPort => containerPort;

    public override string Description =>
        $"HTTP GET {path} on port {containerPort.ToString(CultureInfo.InvariantCulture)} to answer {(int)expectedStatus}";

    public override async Task<WaitCheck> CheckAsync(DockerContainer container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        var uri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{container.Host}:{container.GetMappedPort(containerPort)}{path}"));
        try
        {
            using var response = await Client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return response.StatusCode == expectedStatus
                ? WaitCheck.Ready
                : WaitCheck.NotReady($"GET {uri} answered {(int)response.StatusCode}");
        }
        catch (HttpRequestException ex)
        {
            return WaitCheck.NotReady($"GET {uri}: {ex.Message}");
        }
    }
}
