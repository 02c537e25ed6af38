using AgentSystem.Build.Docker;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Tests;

/// <summary>BaseImages takes its images from the catalog's infrastructure entries, the same ones the integration tests read.</summary>
public class BaseImageCatalogTests
{
    private static readonly string Root = RepositoryFiles.Root;

    private static IReadOnlyList<BaseImage> FromRepository() =>
        BaseImageCatalog.All(InfrastructureEntry.ReadAll(File.ReadAllText(Path.Combine(Root, ServiceCatalog.FileName))), "/ca.crt", "/dotnet", "/usr/bin/node");

    [Fact]
    public void Every_infrastructure_entry_with_a_local_equivalent_is_a_base_image_built_after_the_Debian_root()
    {
        var images = FromRepository();

        Assert.Equal(LocalRecipe.Debootstrap, images[0].Recipe);
        Assert.Equal(["debian", "runtime-deps", "sdk", "node", "busybox", "nginx", "postgres", "redis", "reaper"], images.Select(i => i.Name));
        Assert.All(images.Skip(1), image => Assert.Equal(LocalRecipe.Dockerfile, image.Recipe));
        Assert.Equal(("/dotnet", "dotnet"), images.Single(i => i.Name == "sdk").Streamed[0]);
    }

    [Theory]
    [InlineData("Dev")]
    [InlineData("Dev", "DevServers")]
    public void Dev_alone_gets_only_its_servers_images_and_the_Debian_they_are_built_on(params string[] requested)
    {
        var images = Build.BaseImagesFor(requested.ToHashSet(), FromRepository());

        Assert.Equal(["debian", "postgres", "redis"], images.Select(i => i.Name));
        // Each one's recipe builds on nothing left out: the Debian root, and no other base image's variable.
        var leftOut = FromRepository().Where(i => !images.Any(kept => kept.Name == i.Name)).Select(i => i.Variable).ToList();
        Assert.NotEmpty(leftOut);
        Assert.All(images.Skip(1), image =>
        {
            var recipe = File.ReadAllText(Path.Combine(Root, "build", "images", image.Name, "Dockerfile"));
            Assert.Contains("BASE_IMAGE=agentsystem-base/debian", recipe, StringComparison.Ordinal);
            Assert.All(leftOut, variable => Assert.DoesNotContain($"ARG {variable}", recipe, StringComparison.Ordinal));
        });
    }

    [Theory]
    [InlineData("Dev", "IntegrationTest")]
    [InlineData("Images")]
    [InlineData]
    public void Any_other_target_gets_every_base_image(params string[] requested) =>
        Assert.Equal(FromRepository().Count, Build.BaseImagesFor(requested.ToHashSet(), FromRepository()).Count);

    [Theory]
    [InlineData(true, new[] { "frontend" })]
    [InlineData(false, new string[0])]
    public void Node_is_checked_before_the_images_only_when_the_node_base_image_copies_this_machines(bool madeHere, string[] checkedServices)
    {
        var catalog = ServiceCatalog.Load(Root, []);
        var node = FromRepository().Single(i => i.Name == "node");
        BaseImageOutcome[] outcomes = [new(node, madeHere ? node.Local : node.Official, "", TimeSpan.Zero)];

        Assert.Equal(checkedServices, Build.CopyingThisMachinesNode(catalog.Services, outcomes).Select(s => s.Name));
    }

    [Fact]
    public void The_reaper_comes_after_the_images_its_recipe_builds_on_and_names_them_by_their_variables()
    {
        var images = FromRepository().Select(i => i.Name).ToList();
        var dockerfile = File.ReadAllText(Path.Combine(Root, "build", "images", "reaper", "Dockerfile"));

        Assert.True(images.IndexOf("reaper") > images.IndexOf("sdk") && images.IndexOf("reaper") > images.IndexOf("runtime-deps"));
        Assert.Contains($"ARG {new InfrastructureEntry("sdk", "x").Variable}=", dockerfile, StringComparison.Ordinal);
        Assert.Contains($"ARG {new InfrastructureEntry("runtime-deps", "x").Variable}=", dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_without_a_local_equivalent_are_not_base_images_and_ports_default_to_none()
    {
        var entries = InfrastructureEntry.ReadAll("""{ "infrastructure": [ { "name": "otel", "image": "otel/collector:1" }, { "name": "debian", "image": "debian:12", "localImage": "local/debian:12" } ] }""");

        Assert.Empty(entries[0].Ports);
        Assert.Equal(["debian"], BaseImageCatalog.All(entries, "", "", "/usr/bin/node").Select(i => i.Name));
    }
}
