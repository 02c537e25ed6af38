namespace AgentSystem.StackTests;

/// <summary>
/// What a container can reach, tried from inside it with its own wget (services/docker-compose.yml's networks): the
/// frontend's, which faces browsers, reaches the gateway and nothing behind it, by name or by address; the gateway
/// cannot name PostgreSQL or Redis; and Redis answers no client without its password.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class NetworkTests(Stack stack)
{
    // BusyBox's wget (Debian's 1.35) crashes with -T, so a time limit comes from BusyBox's timeout where it is needed.
    private const int Timeout = 143;

    [Fact]
    public void The_frontend_reaches_the_gateway()
    {
        var (exitCode, output, error) = Exec("frontend", "wget", "-q", "-O", "-", "http://gateway:8080/healthz");

        Assert.True(exitCode == 0, $"the frontend could not reach the gateway: {error.Trim()}");
        Assert.Contains("Healthy", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frontend", "orchestrator:8001")]
    [InlineData("frontend", "chat:3001")]
    [InlineData("frontend", "worker:8081")]
    [InlineData("frontend", "redis:6379")]
    [InlineData("frontend", "postgres:5432")]
    [InlineData("gateway", "redis:6379")]
    [InlineData("gateway", "postgres:5432")]
    public void A_container_cannot_even_name_what_it_does_not_call(string from, string address)
    {
        var (exitCode, _, error) = Exec(from, "wget", "-O", "/dev/null", $"http://{address}/");

        Assert.NotEqual(0, exitCode);
        // Docker's DNS names only the containers of the networks the asker is on.
        Assert.Contains($"bad address '{address}'", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Past the names: Docker drops what goes between its networks, so a connection to Redis's or PostgreSQL's address
    /// from the frontend is still not made after 3 s. (Connected, either would close on wget's request at once.)
    /// </summary>
    [Theory]
    [InlineData("redis", 6379)]
    [InlineData("postgres", 5432)]
    public void The_frontend_cannot_connect_to_a_data_store_by_its_address(string service, int port)
    {
        var target = Assert.Single(stack.Containers(service));
        var addresses = target.Inspect.GetProperty("NetworkSettings").GetProperty("Networks").EnumerateObject()
            .Select(network => network.Value.GetProperty("IPAddress").GetString()!).ToList();

        Assert.NotEmpty(addresses);
        Assert.All(addresses, address =>
        {
            var (exitCode, _, error) = Exec("frontend", "timeout", "3", "wget", "-O", "/dev/null", $"http://{address}:{port}/");
            Assert.True(exitCode == Timeout, $"the frontend got through to {service} at {address}:{port} (wget exited {exitCode}: {error.Trim()})");
        });
    }

    [Fact]
    public void Redis_refuses_a_client_without_its_password()
    {
        var without = Exec("redis", "env", "-u", "REDISCLI_AUTH", "redis-cli", "ping");
        var with = Exec("redis", "redis-cli", "ping");

        Assert.Contains("NOAUTH", without.Output + without.Error, StringComparison.Ordinal);
        Assert.Equal("PONG", with.Output.Trim());
    }

    /// <summary>Runs a command in the first running container of <paramref name="service"/>.</summary>
    private (int ExitCode, string Output, string Error) Exec(string service, params string[] command)
    {
        var container = stack.Containers(service).First(c => c.RunState == "running");
        return stack.TryDocker(["exec", container.Id, .. command]);
    }
}
