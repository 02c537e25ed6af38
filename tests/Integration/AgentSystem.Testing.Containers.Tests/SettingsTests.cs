using AgentSystem.Build.Monorepo;
using DotNet.Testcontainers.Configurations;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>The settings the library makes before Testcontainers reads them, and the images it picks from the catalog.</summary>
public sealed class SettingsTests(ITestOutputHelper output)
{
    private static readonly InfrastructureEntry Postgres = new("postgres", "postgres:15-alpine") { LocalImage = "agentsystem-base/postgres:15" };

    [Fact]
    public async Task Testcontainers_speaks_the_API_version_the_engine_reports_and_uses_the_settings_made_before_it_started()
    {
        using var docker = EngineClient.Create();
        var engine = await docker.System.GetVersionAsync();
        output.WriteLine(string.Join(Environment.NewLine, TestcontainersSetup.Applied.Select(pair => $"{pair.Key}={pair.Value}")));

        Assert.Equal(engine.APIVersion, Environment.GetEnvironmentVariable(TestcontainersSetup.ApiVersion));
        Assert.Equal(TestcontainersSetup.PollInterval, TestcontainersSettings.WaitStrategyInterval);
        Assert.Equal(TestImages.Reaper?.Reference, TestcontainersSettings.ResourceReaperImage?.FullName);
        Assert.Equal(TestImages.Reaper?.IsLocal != true, TestcontainersSettings.ResourceReaperPrivilegedModeEnabled);
    }

    [Fact]
    public void Inside_a_container_with_the_engine_on_this_machine_the_host_is_loopback()
    {
        var expected = File.Exists("/.dockerenv") ? "127.0.0.1" : null;

        Assert.Equal(expected, TestcontainersSettings.DockerHostOverride);
    }

    [Fact]
    public void The_override_variable_wins_then_the_official_image_then_the_local_equivalent()
    {
        string? NoVariable(string name) => null;

        Assert.Equal(new TestImage("postgres", "postgres:15.1", false, "AGENTSYSTEM_IMAGE_POSTGRES"),
            TestImages.Choose(Postgres, name => name == "AGENTSYSTEM_IMAGE_POSTGRES" ? "postgres:15.1" : null, new HashSet<string>()));
        Assert.Equal(new TestImage("postgres", "postgres:15-alpine", false, "present"),
            TestImages.Choose(Postgres, NoVariable, new HashSet<string> { "postgres:15-alpine", "agentsystem-base/postgres:15" }));
        Assert.Equal(new TestImage("postgres", "agentsystem-base/postgres:15", true, "local equivalent"),
            TestImages.Choose(Postgres, NoVariable, new HashSet<string> { "agentsystem-base/postgres:15" }));
        Assert.Equal(new TestImage("postgres", "postgres:15-alpine", false, "default"), TestImages.Choose(Postgres, NoVariable, new HashSet<string>()));
    }

    [Fact]
    public void The_override_variable_is_built_one_way_for_the_build_and_the_tests()
    {
        Assert.Equal("AGENTSYSTEM_IMAGE_RUNTIME_DEPS", new InfrastructureEntry("runtime-deps", "x").Variable);
        Assert.Equal("AGENTSYSTEM_IMAGE_REDIS", new InfrastructureEntry("redis", "x").Variable);
    }

    [Fact]
    public void The_images_come_from_the_catalog()
    {
        string?[] expected = ["postgres:15-alpine", "agentsystem-base/postgres:15", Environment.GetEnvironmentVariable("AGENTSYSTEM_IMAGE_POSTGRES")];
        Assert.Contains(TestImages.Postgres, expected);
        Assert.Throws<InvalidOperationException>(() => TestImages.Get("no-such-image"));
        output.WriteLine($"postgres {TestImages.Get("postgres")}; redis {TestImages.Get("redis")}; reaper {TestImages.Reaper}");
    }
}
