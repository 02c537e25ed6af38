using AgentSystem.Build.Docker;

namespace AgentSystem.Build.Tests;

/// <summary>
/// SystemTest and SystemUp and a system SystemUp started: tested where it runs, as it is, unless this run changes
/// something about it (a new image, a --system-* value named); what is not named is kept as it runs, not taken from the
/// defaults, by both.
/// </summary>
public sealed class RunningSystemTests
{
    private const int GatewayInside = 8080;
    private const int FrontendInside = 3000;
    private static readonly SystemSettings Defaults = new(8080, 3000, RunningSystem.DevelopmentApiKey);
    private static readonly NamedSystemSettings NothingNamed = new(null, null, null);

    /// <summary>
    /// docker inspect (Docker 20.10) of a system started with --system-gateway-port 9090 and --system-api-key k1, cut to
    /// what is read; the worker publishes nothing (null) and the migration has exited.
    /// </summary>
    private static string Inspect(string gatewayEnvironment = "\"Gateway__ApiKeys__0=k1\", ") => $$"""
        [
          { "Id": "c1", "Name": "/agentsystem_gateway_1", "Image": "sha256:gateway-old",
            "State": { "Status": "running", "ExitCode": 0, "Health": { "Status": "healthy" } },
            "Config": { "Image": "agentsystem/gateway:abc1234", "Labels": { "com.docker.compose.service": "gateway", "com.docker.compose.config-hash": "g1" },
                        "Env": [{{gatewayEnvironment}}"PATH=/usr/bin", "A=b=c"] },
            "HostConfig": { "PortBindings": { "8080/tcp": [ { "HostIp": "127.0.0.1", "HostPort": "9090" } ] } },
            "NetworkSettings": { "Ports": { "8080/tcp": [ { "HostIp": "127.0.0.1", "HostPort": "9090" } ] } } },
          { "Id": "c2", "Name": "/agentsystem_frontend_1", "Image": "sha256:frontend",
            "State": { "Status": "running", "ExitCode": 0 },
            "Config": { "Labels": { "com.docker.compose.service": "frontend" }, "Env": ["API_KEY=k1"] },
            "HostConfig": { "PortBindings": { "3000/tcp": [ { "HostIp": "127.0.0.1", "HostPort": "" } ] } },
            "NetworkSettings": { "Ports": { "3000/tcp": [ { "HostIp": "127.0.0.1", "HostPort": "3000" } ] } } },
          { "Id": "c3", "Name": "/agentsystem_worker_1", "Image": "sha256:worker",
            "State": { "Status": "running", "ExitCode": 0 },
            "Config": { "Labels": { "com.docker.compose.service": "worker" }, "Env": null },
            "NetworkSettings": { "Ports": { "8081/tcp": null } } },
          { "Id": "c4", "Name": "/agentsystem_orchestrator-migrate_1", "Image": "sha256:orchestrator",
            "State": { "Status": "exited", "ExitCode": 0 },
            "Config": { "Labels": { "com.docker.compose.service": "orchestrator-migrate" }, "Env": [] },
            "NetworkSettings": { "Ports": {} } }
        ]
        """;

    private static ImageResult Image(string service, string id) => new(service, $"agentsystem/{service}:abc1234", id, 1, Built: true);

    private static RunningSystem Read(NamedSystemSettings named, string? inspect = null, params ImageResult[] images) =>
        RunningSystem.Read(Compose.ParseInspect(inspect ?? Inspect()), images, GatewayInside, FrontendInside, named, Defaults)
        ?? throw new InvalidOperationException("read as not running");

    [Fact]
    public void Docker_inspect_gives_each_container_its_image_published_ports_and_environment()
    {
        var containers = Compose.ParseInspect(Inspect());

        Assert.Equal(["agentsystem_frontend_1", "agentsystem_gateway_1", "agentsystem_orchestrator-migrate_1", "agentsystem_worker_1"], containers.Select(c => c.Name));
        var gateway = containers.Single(c => c.Service == "gateway");
        Assert.Equal("sha256:gateway-old", gateway.ImageId);
        Assert.Equal("agentsystem/gateway:abc1234", gateway.ImageName);
        Assert.Equal("g1", gateway.ConfigHash);
        Assert.Equal("", containers.Single(c => c.Service == "worker").ConfigHash);
        // As asked: the frontend on any free port (it got 3000), so the containers were made from "".
        Assert.Equal(new Dictionary<int, string> { [8080] = "9090" }, gateway.RequestedHostPorts);
        Assert.Equal(new Dictionary<int, string> { [3000] = "" }, containers.Single(c => c.Service == "frontend").RequestedHostPorts);
        Assert.Equal(new Dictionary<int, string> { [3000] = "127.0.0.1" }, containers.Single(c => c.Service == "frontend").RequestedHostAddresses);
        Assert.Equal(new Dictionary<int, int> { [8080] = 9090 }, gateway.PublishedPorts);
        Assert.Equal(new Dictionary<int, string> { [9090] = "127.0.0.1" }, gateway.PublishedAddresses);
        Assert.Equal("k1", gateway.Environment["Gateway__ApiKeys__0"]);
        Assert.Equal("b=c", gateway.Environment["A"]);
        Assert.Empty(containers.Single(c => c.Service == "worker").PublishedPorts);
        Assert.Empty(containers.Single(c => c.Service == "worker").Environment);
    }

    [Fact]
    public void With_nothing_new_it_is_tested_as_it_is_on_its_own_ports_and_key()
    {
        // The walk: SystemUp --system-gateway-port 9090, then a plain SystemTest, whose images are those it runs.
        var running = Read(NothingNamed, null, Image("gateway", "sha256:gateway-old"), Image("frontend", "sha256:frontend"));

        Assert.True(running.AsItIs, string.Join("; ", running.Changes));
        Assert.Equal(new SystemSettings(9090, 3000, "k1"), running.Settings);
        Assert.Empty(running.Notes);
    }

    /// <summary>The walk: SystemUp --system-gateway-port 9090, then a plain SystemUp moved it back to 8080; now it stays.</summary>
    [Fact]
    public void A_plain_SystemUp_keeps_the_ports_and_key_it_runs_with_and_a_named_one_changes()
    {
        var plain = Read(NothingNamed, null, Image("gateway", "sha256:gateway-old"), Image("frontend", "sha256:frontend"), Image("chat", "sha256:chat"));
        Assert.Equal(new SystemSettings(9090, 3000, "k1"), plain.Settings);

        var named = Read(new NamedSystemSettings(null, 3100, null));
        Assert.Equal(new SystemSettings(9090, 3100, "k1"), named.Settings);
    }

    [Fact]
    public void A_system_none_of_whose_containers_runs_is_not_running()
    {
        var stopped = Inspect().Replace("\"Status\": \"running\"", "\"Status\": \"exited\"", StringComparison.Ordinal);

        Assert.Null(RunningSystem.Read(Compose.ParseInspect(stopped), [], GatewayInside, FrontendInside, NothingNamed, Defaults));
        Assert.Null(RunningSystem.Read([], [], GatewayInside, FrontendInside, NothingNamed, Defaults));
    }

    [Fact]
    public void A_new_image_brings_it_up_again_on_the_ports_and_key_it_runs_with()
    {
        var running = Read(NothingNamed, null, Image("gateway", "sha256:gateway-new"), Image("frontend", "sha256:frontend"));

        Assert.Equal(["this run's gateway image (agentsystem/gateway:abc1234)"], running.Changes);
        Assert.Equal(new SystemSettings(9090, 3000, "k1"), running.Settings);
    }

    [Fact]
    public void An_image_of_a_service_it_does_not_run_brings_it_up_again()
    {
        var running = Read(NothingNamed, null, Image("chat", "sha256:chat"));

        Assert.Equal(["this run's chat image (agentsystem/chat:abc1234)"], running.Changes);
    }

    [Fact]
    public void Named_values_it_does_not_run_with_bring_it_up_again_with_them_and_keep_the_rest()
    {
        var running = Read(new NamedSystemSettings(8080, null, "k2"));

        Assert.Equal(["--system-gateway-port 8080 (it runs on 9090)", "--system-api-key (it runs with another key)"], running.Changes);
        Assert.Equal(new SystemSettings(8080, 3000, "k2"), running.Settings);
    }

    [Fact]
    public void Named_values_it_runs_with_and_port_0_change_nothing()
    {
        var running = Read(new NamedSystemSettings(9090, 0, "k1"));

        Assert.True(running.AsItIs, string.Join("; ", running.Changes));
        Assert.Equal(new SystemSettings(9090, 3000, "k1"), running.Settings);
    }

    /// <summary>docker-compose 1.29's <c>config --hash=*</c> (docker compose v2 prints the same shape).</summary>
    [Fact]
    public void Composes_config_hashes_are_read_by_service()
    {
        var hashes = Compose.ParseConfigHashes("postgres b44bd24f\nchat-migrate c0e49bf4\n\n  worker c6d802ba  \n");

        Assert.Equal(new Dictionary<string, string> { ["postgres"] = "b44bd24f", ["chat-migrate"] = "c0e49bf4", ["worker"] = "c6d802ba" }, hashes);
    }

    /// <summary>M1 (helper-89): a system started before the compose file changed was tested as it ran, with no word.</summary>
    [Fact]
    public void Containers_made_from_another_configuration_than_this_checkouts_are_named()
    {
        var containers = Compose.ParseInspect(Inspect().Replace("\"com.docker.compose.service\": \"frontend\"",
            "\"com.docker.compose.service\": \"frontend\", \"com.docker.compose.config-hash\": \"f1\"", StringComparison.Ordinal));
        var same = new Dictionary<string, string> { ["gateway"] = "g1", ["frontend"] = "f1", ["worker"] = "", ["orchestrator-migrate"] = "" };

        Assert.Empty(RunningSystem.ConfigDrift(containers, same));
        Assert.Equal(["gateway"], RunningSystem.ConfigDrift(containers, new Dictionary<string, string>(same) { ["gateway"] = "g2" }));
        var fileChanged = new Dictionary<string, string>(same) { ["redis"] = "r1" };
        fileChanged.Remove("worker");
        Assert.Equal(["worker (not in this compose file)", "redis (not running)"], RunningSystem.ConfigDrift(containers, fileChanged));
    }

    [Theory]
    [InlineData(null, RunningSystem.DevelopmentApiKey, "--system-api-key '" + RunningSystem.DevelopmentApiKey + "'")]
    [InlineData("k2-secret", "k2-secret", "the key --system-api-key gives (not printed)")]   // helper-130: it was printed
    public void A_key_that_cannot_be_read_is_the_named_or_default_one_and_it_says_so(string? named, string used, string said)
    {
        var running = Read(new NamedSystemSettings(null, null, named), Inspect(gatewayEnvironment: ""));

        Assert.True(running.AsItIs, string.Join("; ", running.Changes));
        Assert.Equal(used, running.Settings.ApiKey);
        Assert.Equal([$"The running system's API key could not be read (the gateway's Gateway__ApiKeys__0); using {said}."], running.Notes);
    }
}

/// <summary>SystemUp checks the host ports it publishes before compose starts anything (helper-54 found half a system left).</summary>
public sealed class SystemPortTests
{
    [Fact]
    public void A_port_another_program_holds_is_named_with_what_to_do()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;

        var problem = Build.PortsTakenProblem(new SystemSettings(port, 0, "k"), [], System.Net.IPAddress.Loopback);

        Assert.NotNull(problem);
        Assert.Contains($"on 127.0.0.1, and something listens on {port} (gateway) already, so nothing was started", problem, StringComparison.Ordinal);
        Assert.Contains($"ss -ltnp 'sport = :{port}'", problem, StringComparison.Ordinal);
        Assert.Contains("--system-gateway-port N (0: any free port)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_port_another_system_publishes_names_that_system_and_how_to_take_it_down()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;

        var here = Directory.CreateTempSubdirectory("checkout-").FullName;
        try
        {
            var problem = Build.PortsTakenProblem(new SystemSettings(0, port, "k"), [], System.Net.IPAddress.Loopback, p => p == port ? ("walk4", here) : null, here);

            Assert.NotNull(problem);
            Assert.Contains($"System 'walk4' publishes {port}: ./build.sh SystemDown --system-name walk4 removes it;", problem, StringComparison.Ordinal);
            Assert.Contains("--system-frontend-port N (0: any free port)", problem, StringComparison.Ordinal);

            // helper-102: another clone's system, whose SystemDown the advice offered without a word.
            Assert.Contains($"System 'walk4' publishes {port}: it runs from another checkout (/work/h102a), and ./build.sh SystemDown --system-name walk4 removes it if it is yours;",
                Build.PortsTakenProblem(new SystemSettings(0, port, "k"), [], System.Net.IPAddress.Loopback, _ => ("walk4", "/work/h102a"), here), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(here);
        }
    }

    /// <summary>Compose joins a project's config files with commas: a plain split made a checkout with a comma in its path another's.</summary>
    [Fact]
    public void A_checkout_with_a_comma_in_its_path_is_read_whole()
    {
        Assert.Equal([("own", "/home/a,b/repo"), ("own", "C:/src/x,y/repo")], Build.ParseRunningSystems(
            "own|/home/a,b/repo/services/docker-compose.yml,/home/a,b/repo/services/override.yml\n"
            + @"own|C:\src\x,y\repo\services\docker-compose.yml,D:\other.yml"));
    }

    /// <summary>helper-129: SystemTest's update of a system started on 127.0.0.2 with a name to serve moved it to 127.0.0.1, serving the default names.</summary>
    [Fact]
    public void A_running_systems_address_and_allowed_names_are_kept()
    {
        // Stopped (helper-131): it publishes nothing, and the address it was asked for is kept all the same.
        var gateway = new ComposeContainer("1", "x_gateway_1", "gateway", "exited", null, 0)
        {
            RequestedHostAddresses = new Dictionary<int, string> { [8080] = "127.0.0.2" },
        };
        var frontend = new ComposeContainer("2", "x_frontend_1", "frontend", "running", "healthy", 0)
        {
            Environment = new Dictionary<string, string> { ["ALLOWED_HOSTS"] = "h129-agents.test" },
        };

        Assert.Equal(new Dictionary<string, string> { ["AGENTSYSTEM_BIND"] = "127.0.0.2", ["AGENTSYSTEM_ALLOWED_HOSTS"] = "h129-agents.test" },
            Build.KeptVariables([gateway, frontend], 8080));
        Assert.Empty(Build.KeptVariables([], 8080));
        Assert.Equal(["AGENTSYSTEM_ALLOWED_HOSTS"], Build.KeptVariables([frontend], 8080).Keys);
    }

    /// <summary>helper-129: after an interrupted start, a plain SystemUp could not read the ports and fell back to 8080 and 3000.</summary>
    [Fact]
    public void An_interrupted_start_says_how_to_finish_it_on_its_own_ports_without_printing_a_given_key()
    {
        Assert.Equal("Interrupted while the system 'h129d' came up: what started runs on; ./build.sh SystemDown --system-name h129d removes it, "
            + "./build.sh SystemUp --system-name h129d --system-gateway-port 18282 --system-frontend-port 13202 finishes it.",
            Build.InterruptedNote("h129d", new SystemSettings(18282, 13202, RunningSystem.DevelopmentApiKey)));
        var withKey = Build.InterruptedNote("agentsystem", new SystemSettings(8080, 3000, "a-key-of-the-users-own"));
        Assert.EndsWith("./build.sh SystemUp --system-gateway-port 8080 --system-frontend-port 3000 with the same --system-api-key finishes it.", withKey, StringComparison.Ordinal);
        Assert.DoesNotContain("a-key-of-the-users-own", withKey, StringComparison.Ordinal);
    }

    /// <summary>
    /// helper-129: Debian's docker-compose 1.29 labels the files as the README's command names them, relative; SystemTest,
    /// SystemUp and SystemDown failed on an empty path while such a system ran.
    /// </summary>
    [Fact]
    public void A_system_composed_by_hand_with_a_relative_file_is_read_in_its_working_folder()
    {
        var running = Build.ParseRunningSystems("""
            byhand|services/docker-compose.yml|/work/h129/services
            fromservices|docker-compose.yml|/work/h129/services
            v2|/work/other/services/docker-compose.yml|/work/other/services
            nofolder|services/docker-compose.yml|
            unrelated|compose.yml|/srv/app
            projectdirectory|services/docker-compose.yml|/work/h131
            withoverride|./services/docker-compose.yml,services/docker-compose.override.yml|/work/h132/services
            """);

        // helper-131: --project-directory . makes the working folder the one compose ran in, not the first file's.
        Assert.Equal([("byhand", "/work/h129"), ("fromservices", "/work/h129"), ("v2", "/work/other"), ("projectdirectory", "/work/h131"), ("withoverride", "/work/h132")],
            running);
        Assert.Null(Build.ForeignCheckout("/work/h129", "byhand", running));
        Assert.Equal("/work/h129", Build.ForeignCheckout("/work/other", "byhand", running));
    }

    /// <summary>helper-95: SystemTest started a system of its own beside one SystemUp had started with --system-name, without a word.</summary>
    [Fact]
    public void SystemTest_without_its_system_names_the_others_this_checkout_runs()
    {
        var running = Build.ParseRunningSystems("""
            newuser|/work/h95/services/docker-compose.yml
            newuser|/work/h95/services/docker-compose.yml
            agentsystem-test-4242|/work/h95/services/docker-compose.yml
            walk|/work/other/services/docker-compose.yml
            load-test-env|/work/h95/services/docker-compose.yml
            unrelated|/srv/app/compose.yml
            |
            """);

        Assert.Equal([("newuser", "/work/h95"), ("agentsystem-test-4242", "/work/h95"), ("walk", "/work/other"), ("load-test-env", "/work/h95")], running);
        Assert.Equal("No system 'agentsystem' runs; this checkout's 'load-test-env', 'newuser' do: ./build.sh SystemTest --system-name load-test-env tests the first.",
            Build.OtherSystemsOf("/work/h95/", "agentsystem", running));
        Assert.Null(Build.OtherSystemsOf("/work/elsewhere", "agentsystem", running));
    }

    /// <summary>helper-99: SystemTest in one clone brought the system another clone had started up again with its own images.</summary>
    [Fact]
    public void A_system_another_checkout_started_is_named_and_left_alone()
    {
        var running = Build.ParseRunningSystems("""
            agentsystem|/work/h99x/services/docker-compose.yml
            mine|/work/h99/services/docker-compose.yml
            """);

        Assert.Equal("/work/h99x", Build.ForeignCheckout("/work/h99", "agentsystem", running));
        Assert.Null(Build.ForeignCheckout("/work/h99x/", "agentsystem", running));
        Assert.Null(Build.ForeignCheckout("/work/h99", "mine", running));
        Assert.Null(Build.ForeignCheckout("/work/h99", "nosuch", running));
        Assert.Equal("The system 'agentsystem' runs from another checkout (/work/h99x), and this one would replace its images with its own, so nothing was changed. "
            + "Run one of this checkout's under another name: ./build.sh SystemUp --system-name agentsystem-2 --system-gateway-port 0 --system-frontend-port 0 (0: any free port); "
            + "or, if that one is yours to remove (its data goes with it), ./build.sh SystemDown first (from either checkout).",
            Build.ForeignSystemProblem("agentsystem", "/work/h99x"));
    }

    /// <summary>helper-101: compose run by hand from a linked folder labels its containers with the logical path.</summary>
    [Fact]
    public void A_system_started_through_a_link_to_this_checkout_is_this_checkouts()
    {
        var checkout = Directory.CreateTempSubdirectory("checkout-").FullName;
        var link = checkout + "-link";
        Directory.CreateSymbolicLink(link, checkout);
        try
        {
            var running = Build.ParseRunningSystems($"agentsystem|{link}/services/docker-compose.yml");

            Assert.Null(Build.ForeignCheckout(checkout, "agentsystem", running));
            Assert.Equal(Build.PhysicalPath(checkout), Build.PhysicalPath(link + "/"));
        }
        finally
        {
            Directory.Delete(link);
            Directory.Delete(checkout);
        }
    }

    [Fact]
    public void One_port_for_both_the_gateway_and_the_frontend_is_refused_before_anything_starts()
    {
        Assert.Null(Build.SamePortProblem(new SystemSettings(0, 0, "k")));
        // helper-57: compose started eight containers, then stopped at the frontend's bind.
        var problem = Build.SamePortProblem(new SystemSettings(13005, 13005, "k"));

        Assert.Equal("The gateway and the frontend are both to be published on port 13005, so nothing was started: give each its own"
            + " with --system-gateway-port N or --system-frontend-port N (0: any free port).", problem);
    }

    [Fact]
    public void The_systems_own_ports_and_any_free_port_are_no_conflict()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;

        Assert.Null(Build.PortsTakenProblem(new SystemSettings(port, 0, "k"), [port], System.Net.IPAddress.Loopback));
        Assert.Null(Build.PortsTakenProblem(new SystemSettings(0, 0, "k"), [], System.Net.IPAddress.Loopback));
    }
}
