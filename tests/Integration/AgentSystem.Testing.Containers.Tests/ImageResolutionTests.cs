using AgentSystem.Testing.Containers.Images;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>Logical images: defaults, per-image overrides, a registry mirror prefix, and the local fallback.</summary>
public sealed class ImageResolutionTests
{
    [Fact]
    public void Defaults_are_the_official_images_with_local_equivalents()
    {
        var resolver = Resolver([]);

        var postgres = resolver.Resolve(KnownImages.Postgres);
        var redis = resolver.Resolve(KnownImages.Redis);

        Assert.Equal(("postgres:16-alpine", "default", "agentsystem-base/postgres:15"), (postgres.Reference, postgres.Source, postgres.LocalEquivalent));
        Assert.Equal(("redis:7-alpine", "default", "agentsystem-base/redis:7"), (redis.Reference, redis.Source, redis.LocalEquivalent));
    }

    [Fact]
    public void An_image_variable_overrides_that_image_only()
    {
        var resolver = Resolver(new() { ["AGENTSYSTEM_IMAGE_POSTGRES"] = "postgres:15.1" });

        Assert.Equal("postgres:15.1", resolver.Resolve(KnownImages.Postgres).Reference);
        Assert.Equal("AGENTSYSTEM_IMAGE_POSTGRES", resolver.Resolve(KnownImages.Postgres).Source);
        Assert.Equal("redis:7-alpine", resolver.Resolve(KnownImages.Redis).Reference);
    }

    [Fact]
    public void The_variable_name_follows_the_logical_name()
    {
        Assert.Equal("AGENTSYSTEM_IMAGE_REDIS", ImageNameResolver.VariableFor(KnownImages.Redis));
        Assert.Equal("AGENTSYSTEM_IMAGE_NODE_EXPORTER", ImageNameResolver.VariableFor(new LogicalImage("node-exporter", "prom/node-exporter:1", null)));
    }

    [Theory]
    [InlineData("postgres:16-alpine", "mirror.example.com/hub/postgres:16-alpine")]
    [InlineData("bitnami/redis:7", "mirror.example.com/hub/bitnami/redis:7")]
    [InlineData("ghcr.io/org/postgres:16", "ghcr.io/org/postgres:16")]
    [InlineData("localhost:5000/postgres:16", "localhost:5000/postgres:16")]
    [InlineData("localhost/postgres:16", "localhost/postgres:16")]
    public void The_registry_prefix_goes_before_docker_hub_images_only(string reference, string expected)
    {
        var resolver = Resolver(new() { ["AGENTSYSTEM_REGISTRY_PREFIX"] = "mirror.example.com/hub/" });

        Assert.Equal(expected, resolver.ApplyRegistryPrefix(reference));
    }

    [Fact]
    public void Override_and_prefix_combine()
    {
        var resolver = Resolver(new()
        {
            ["AGENTSYSTEM_IMAGE_REDIS"] = "redis:7.2",
            ["AGENTSYSTEM_REGISTRY_PREFIX"] = "mirror.example.com/hub",
        });

        var redis = resolver.Resolve(KnownImages.Redis);

        Assert.Equal("mirror.example.com/hub/redis:7.2", redis.Reference);
        Assert.Equal("AGENTSYSTEM_IMAGE_REDIS + AGENTSYSTEM_REGISTRY_PREFIX", redis.Source);
        Assert.Equal("agentsystem-base/redis:7", redis.LocalEquivalent);
    }

    [Fact]
    public async Task When_the_pull_fails_the_local_equivalent_is_used()
    {
        var environment = await DockerEnvironment.GetAsync();
        // An image this machine surely has, whatever the registry situation: the one the Debian image resolved to.
        var present = await environment.Images.EnsureAsync(ImageNameResolver.FromProcessEnvironment.Resolve(KnownImages.Debian));
        var absent = new LogicalImage("absent", "registry.invalid/agentsystem/absent:1", present);

        var used = await new ImageProvider(environment.Client).EnsureAsync(Resolver([]).Resolve(absent));

        Assert.Equal(present, used);
    }

    [Fact]
    public async Task With_neither_a_registry_nor_a_local_image_the_error_says_what_to_run()
    {
        var environment = await DockerEnvironment.GetAsync();
        var absent = new LogicalImage("absent", "registry.invalid/agentsystem/absent:1", "agentsystem-base/absent:0");

        var failure = await Assert.ThrowsAsync<ImageNotAvailableException>(
            () => new ImageProvider(environment.Client).EnsureAsync(Resolver([]).Resolve(absent)));

        Assert.Contains("Image registry.invalid/agentsystem/absent:1 [default] is not on this machine and could not be pulled", failure.Message, StringComparison.Ordinal);
        Assert.Contains("its local equivalent agentsystem-base/absent:0 is missing", failure.Message, StringComparison.Ordinal);
        Assert.Contains("no registry reachable and no local image: run ./build.sh BaseImages", failure.Message, StringComparison.Ordinal);
        Assert.Contains("AGENTSYSTEM_IMAGE_ABSENT", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_logical_images_resolve_to_images_this_machine_has()
    {
        var environment = await DockerEnvironment.GetAsync();

        foreach (var image in new[] { KnownImages.Postgres, KnownImages.Redis, KnownImages.Debian })
        {
            var choice = ImageNameResolver.FromProcessEnvironment.Resolve(image);
            var used = await environment.Images.EnsureAsync(choice);
            Assert.True(await environment.Client.ImageExistsAsync(used, CancellationToken.None), $"{image} -> {used}");
            Assert.Contains(used, new[] { choice.Reference, choice.LocalEquivalent });
        }
    }

    private static ImageNameResolver Resolver(Dictionary<string, string> variables) => new(name => variables.GetValueOrDefault(name));
}
