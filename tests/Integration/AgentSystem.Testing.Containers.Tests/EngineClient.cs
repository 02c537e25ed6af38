using Docker.DotNet;
using Docker.DotNet.Models;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>Docker.DotNet (Testcontainers' own client) at the engine's API version, for tests that look behind Testcontainers.</summary>
internal static class EngineClient
{
    public static DockerClient Create() => new DockerClientBuilder().WithEndpoint(TestcontainersSetup.EngineFacts.Endpoint).Build();

    public static Dictionary<string, IDictionary<string, bool>> Filter(string name, string value) =>
        new() { [name] = new Dictionary<string, bool> { [value] = true } };

    public static async Task<bool> ContainerExistsAsync(DockerClient docker, string id) =>
        (await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = Filter("id", id) })).Count > 0;
}
