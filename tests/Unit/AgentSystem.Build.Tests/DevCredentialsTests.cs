using AgentSystem.Build.Docker;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

/// <summary>Dev's servers' passwords: made per container, read back from it, never printed, and what Redis runs with them.</summary>
public sealed class DevCredentialsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dev-credentials-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_password_is_read_from_the_containers_environment_and_an_old_container_without_one_has_none()
    {
        const string inspected = """["PATH=/usr/bin","POSTGRES_PASSWORD=p=q","POSTGRES_DB=agentsystem"]""" + "\n";

        Assert.Equal("p=q", DevCredentials.FromEnvironment(inspected, DevCredentials.PostgresVariable));
        Assert.Null(DevCredentials.FromEnvironment(inspected, DevCredentials.RedisVariable));
        Assert.Null(DevCredentials.FromEnvironment("null", DevCredentials.RedisVariable));
    }

    [Fact]
    public void Each_new_password_is_random()
    {
        var (first, second) = (DevCredentials.NewPassword(), DevCredentials.NewPassword());

        Assert.Matches("^[0-9a-f]{48}$", first);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=15432;Username=postgres;Password=s3cret;Database=agentsystem", "Host=127.0.0.1;Port=15432;Username=postgres;Password=…;Database=agentsystem")]
    [InlineData("127.0.0.1:16379,password=s3cret,ssl=false", "127.0.0.1:16379,password=…,ssl=false")]
    [InlineData("Host=h;Pwd=s3cret", "Host=h;Pwd=…")]
    [InlineData("127.0.0.1:16379", "127.0.0.1:16379")]
    public void A_connection_is_shown_without_its_password(string connection, string shown)
    {
        Assert.Equal(shown, DevCredentials.Masked(connection));
    }

    [Theory]
    [InlineData("s3cret", "redis-server|--requirepass|s3cret|--appendonly|yes")]
    [InlineData(null, "redis-server|--appendonly|yes")]
    public void Redis_requires_the_containers_password_when_it_has_one(string? password, string arguments)
    {
        // The image's entrypoint, which starts redis-server with these arguments (as the redis user, in the official image).
        FakeClusterTools.WriteExecutable(Path.Combine(_folder, "docker-entrypoint.sh"), "#!/bin/sh\nfor a in \"$@\"; do printf '%s|' \"$a\"; done\n");
        var environment = new Dictionary<string, string> { ["PATH"] = _folder + ":/usr/bin:/bin" };
        if (password is not null)
        {
            environment[DevCredentials.RedisVariable] = password;
        }

        var run = ProcessRunner.Capture("sh", ["-c", DevCredentials.RedisCommand, "redis-server", "--appendonly", "yes"], environment: environment);

        Assert.Equal(arguments + "|", run.Output.Trim());
    }
}
