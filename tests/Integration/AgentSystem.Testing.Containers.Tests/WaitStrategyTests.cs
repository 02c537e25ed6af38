using System.Diagnostics;
using System.Net;
using AgentSystem.Testing.Containers.Images;
using AgentSystem.Testing.Containers.Modules;
using AgentSystem.Testing.Containers.Waits;

namespace AgentSystem.Testing.Containers.Tests;

/// <summary>Bounded waits: what satisfies them, and what a failure tells the reader.</summary>
public sealed class WaitStrategyTests(ITestOutputHelper output)
{
    // A tiny HTTP server: the local PostgreSQL image has perl, and no image here has curl, python or nc.
    private const string PerlHttpServer = """
        use IO::Socket::INET; $| = 1; sleep 1;
        my $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die "listen: $!";
        print "listening\n";
        while (my $c = $s->accept) {
          my $r = <$c>; while (my $l = <$c>) { last if $l =~ /^\r?\n$/ }
          if ($r =~ m{^GET /health }) { print $c "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok" }
          else { print $c "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" }
          close $c;
        }
        """;

    [Fact]
    public async Task A_timeout_names_the_wait_and_quotes_the_logs_and_removes_the_container()
    {
        var builder = new ContainerBuilder(KnownImages.Debian)
            .WithCommand("bash", "-c", "echo starting; for i in 1 2 3; do echo \"line $i\"; done; sleep infinity")
            .WithWaitStrategy(Wait.ForLogMessage("ready to accept").WithTimeout(TimeSpan.FromSeconds(2)));

        var failure = await Assert.ThrowsAsync<ContainerStartException>(() => builder.StartAsync());
        output.WriteLine(failure.Message);

        Assert.Contains("timed out waiting for log line matching /ready to accept/ once (timeout 2.0 s)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("State: running", failure.Message, StringComparison.Ordinal);
        Assert.Contains("0 of 1 matching line(s) so far", failure.Message, StringComparison.Ordinal);
        Assert.Contains("| starting", failure.Message, StringComparison.Ordinal);
        Assert.Contains("| line 3", failure.Message, StringComparison.Ordinal);
        Assert.Equal(["starting", "line 1", "line 2", "line 3"], failure.LogLines);
        Assert.InRange(failure.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
        var environment = await DockerEnvironment.GetAsync();
        Assert.Null(await environment.Client.TryInspectContainerAsync(failure.ContainerName!, CancellationToken.None));
    }

    [Fact]
    public async Task A_container_that_exits_early_fails_at_once_with_its_exit_code_and_logs()
    {
        var clock = Stopwatch.StartNew();
        var builder = new ContainerBuilder(KnownImages.Debian)
            .WithCommand("bash", "-c", "echo about to fail; echo boom >&2; exit 3")
            .WithWaitStrategy(Wait.ForLogMessage("never printed"));

        var failure = await Assert.ThrowsAsync<ContainerStartException>(() => builder.StartAsync());
        output.WriteLine(failure.Message);

        // Far below the 60 s startup timeout: the exit is noticed, not waited out.
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(30));
        Assert.Contains("stopped after", failure.Message, StringComparison.Ordinal);
        Assert.Contains("while waiting for log line matching /never printed/", failure.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 3", failure.Message, StringComparison.Ordinal);
        Assert.Contains("| about to fail", failure.Message, StringComparison.Ordinal);
        Assert.Contains("| boom", failure.Message, StringComparison.Ordinal);
        Assert.Equal(3, failure.State!.ExitCode);
    }

    [Fact]
    public async Task A_command_the_image_does_not_have_fails_with_the_engines_reason()
    {
        var builder = new ContainerBuilder(KnownImages.Debian).WithEntrypoint("/no/such/program");

        var failure = await Assert.ThrowsAsync<ContainerStartException>(() => builder.StartAsync());
        output.WriteLine(failure.Message);

        Assert.Contains("could not be started", failure.Message, StringComparison.Ordinal);
        Assert.Contains("/no/such/program", failure.Message, StringComparison.Ordinal);
        var environment = await DockerEnvironment.GetAsync();
        Assert.Null(await environment.Client.TryInspectContainerAsync(failure.ContainerName!, CancellationToken.None));
    }

    [Fact]
    public async Task A_log_wait_can_require_several_occurrences()
    {
        await using var container = await new ContainerBuilder(KnownImages.Debian)
            .WithCommand("bash", "-c", "for i in 1 2 3; do echo tick; sleep 0.2; done; sleep infinity")
            .WithWaitStrategy(Wait.ForLogMessage("^tick$", times: 3))
            .StartAsync();

        var logs = await container.GetLogsAsync();
        Assert.Equal(3, logs.Lines.Count(line => line == "tick"));
    }

    [Fact]
    public async Task An_http_wait_waits_for_the_expected_status()
    {
        await using var server = await new ContainerBuilder(KnownImages.Postgres)
            .WithEntrypoint("perl", "-e", PerlHttpServer)
            .WithPortBinding(8080)
            .WithWaitStrategy(Wait.ForHttp(8080, "/health"))
            .WithWaitStrategy(Wait.ForHttp(8080, "/missing", HttpStatusCode.NotFound))
            .StartAsync();

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var body = await http.GetStringAsync(new Uri($"http://{server.Host}:{server.GetMappedPort(8080)}/health"));
        Assert.Equal("ok", body);
    }

    [Fact]
    public async Task A_port_wait_sees_through_the_docker_proxy()
    {
        // Nothing listens on 8080 inside: the proxy accepts on the host port and closes at once, which is not ready.
        var builder = new ContainerBuilder(KnownImages.Debian)
            .WithCommand("sleep", "infinity")
            .WithPortBinding(8080)
            .WithWaitStrategy(Wait.ForPort(8080).WithTimeout(TimeSpan.FromSeconds(1.5)));

        var failure = await Assert.ThrowsAsync<ContainerStartException>(() => builder.StartAsync());
        output.WriteLine(failure.Message);

        Assert.Contains("timed out waiting for TCP port 8080 to accept connections", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_wait_passes_when_the_port_listens_inside_and_out()
    {
        await using var redis = await new RedisBuilder()
            .Configure(builder => builder.WithWaitStrategy(Wait.ForPort(RedisBuilder.RedisPort, checkInsideContainer: true)))
            .StartAsync();

        Assert.True(redis.Port > 0);
    }

    [Fact]
    public async Task Waiting_on_a_port_that_is_not_published_fails_before_anything_starts()
    {
        var builder = new ContainerBuilder(KnownImages.Debian).WithWaitStrategy(Wait.ForPort(5432));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => builder.StartAsync());

        Assert.Contains("add WithPortBinding(5432)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_wait_quotes_the_last_output_on_timeout()
    {
        var builder = new ContainerBuilder(KnownImages.Debian)
            .WithCommand("sleep", "infinity")
            .WithWaitStrategy(Wait.ForCommand("bash", "-c", "echo not yet; exit 1").WithTimeout(TimeSpan.FromSeconds(1)));

        var failure = await Assert.ThrowsAsync<ContainerStartException>(() => builder.StartAsync());
        output.WriteLine(failure.Message);

        Assert.Contains("`bash -c echo not yet; exit 1` to exit with code 0", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Last check: exit code 1, output: not yet", failure.Message, StringComparison.Ordinal);
        Assert.Contains("The container logged nothing.", failure.Message, StringComparison.Ordinal);
    }
}
