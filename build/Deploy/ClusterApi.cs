using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Kubernetes;
using k8s;
using k8s.Models;

namespace AgentSystem.Build.Deploy;

/// <summary>
/// The one cluster a deploy created, through KubernetesClient. It is bound to one context of the deploy's own
/// kubeconfig file and refuses to start when that context is missing, so it never acts on any other cluster,
/// whatever the file's current context or the user's kubeconfig say.
/// </summary>
public sealed class ClusterApi : IDisposable
{
    private readonly k8s.Kubernetes _client;
    private readonly string _fieldManager;

    private ClusterApi(KubernetesClientConfiguration configuration, string context, string fieldManager)
    {
        _client = new k8s.Kubernetes(configuration);
        _fieldManager = fieldManager;
        Context = context;
        Server = configuration.Host;
    }

    public string Context { get; }
    public string Server { get; }

    /// <summary>The context guard: only <paramref name="context"/> of <paramref name="kubeconfig"/>, or a failure.</summary>
    public static ClusterApi Connect(string kubeconfig, string context, string fieldManager)
    {
        if (!File.Exists(kubeconfig))
        {
            throw new TargetFailedException($"The cluster tool wrote no kubeconfig at {kubeconfig}; refusing to use any other.", "no kubeconfig");
        }

        var file = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(kubeconfig));
        if (file.Contexts?.Any(c => c.Name == context) != true)
        {
            var found = string.Join(", ", file.Contexts?.Select(c => c.Name) ?? []);
            throw new TargetFailedException($"Context guard: {kubeconfig} has no context '{context}' (it has: {(found.Length > 0 ? found : "none")}). " +
                "The deploy acts only on the cluster it created, so it stops here.", $"no context {context}");
        }
        return new ClusterApi(KubernetesClientConfiguration.BuildConfigFromConfigObject(file, currentContext: context), context, fieldManager);
    }

    /// <summary>Server-side apply: the object as the build renders it, owned by the build's field manager (conflicts forced).</summary>
    public async Task ApplyAsync(ManifestObject manifest, CancellationToken cancellationToken)
    {
        var entity = manifest.Model.GetType().GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{manifest.Model.GetType().Name} is not a Kubernetes model.");
        var prefix = string.IsNullOrEmpty(entity.Group) ? $"api/{entity.ApiVersion}" : $"apis/{entity.Group}/{entity.ApiVersion}";
        var scope = manifest.Namespace is { } ns ? $"/namespaces/{ns}" : "";
        var path = $"{prefix}{scope}/{entity.PluralName}/{manifest.Name}?fieldManager={Uri.EscapeDataString(_fieldManager)}&force=true";
        using var request = new HttpRequestMessage(HttpMethod.Patch, path)
        {
            // JSON is YAML, so the model's JSON is a valid apply patch.
            Content = new StringContent(KubernetesJson.Serialize(manifest.Model), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new TargetFailedException($"Applying {manifest} ({manifest.SourceFile}) failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}",
                $"apply {manifest} failed");
        }
    }

    public async Task<IList<V1Deployment>> DeploymentsAsync(string ns, CancellationToken cancellationToken) =>
        (await _client.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items;

    public async Task<IList<V1StatefulSet>> StatefulSetsAsync(string ns, CancellationToken cancellationToken) =>
        (await _client.AppsV1.ListNamespacedStatefulSetAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items;

    public async Task<IList<V1Job>> JobsAsync(string ns, CancellationToken cancellationToken) =>
        (await _client.BatchV1.ListNamespacedJobAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items;

    public async Task<IList<V1Pod>> PodsAsync(string ns, CancellationToken cancellationToken) =>
        (await _client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items;

    public async Task<IList<Corev1Event>> EventsAsync(string ns, CancellationToken cancellationToken) =>
        (await _client.CoreV1.ListNamespacedEventAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items;

    public async Task<string> LogAsync(string ns, string pod, string container, bool previous, CancellationToken cancellationToken)
    {
        using var stream = await _client.CoreV1.ReadNamespacedPodLogAsync(pod, ns, container: container, previous: previous, cancellationToken: cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A request to a Service through the API server's proxy: a port-forward without a local port, so two deploys
    /// never compete for one, and the same on kind and minikube. <paramref name="path"/> starts with '/'.
    /// </summary>
    public async Task<HttpResponseMessage> ProxyAsync(string ns, string service, int port, HttpMethod method, string path, HttpContent? content,
        IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, $"api/v1/namespaces/{ns}/services/{service}:{port}/proxy{path}") { Content = content };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Through the client's own HttpClient: its handler carries the context's TLS settings and client certificate.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.RequestUri = new Uri(new Uri(_client.BaseUri.ToString().TrimEnd('/') + "/"), request.RequestUri!);
        return await _client.HttpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _client.Dispose();
}
