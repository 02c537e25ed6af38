using AgentSystem.Load.UnderTest;

namespace AgentSystem.Load.Tests;

public sealed class LoadSystemTests
{
    [Fact]
    public void The_reclaim_count_is_read_from_a_workers_metrics()
    {
        const string Metrics = """{"processed":13434,"failed":0,"skipped":310,"reclaimed":1024,"inFlight":0,"concurrency":1024}""";

        Assert.Equal(1024, LoadSystem.ReadReclaimed(Metrics));
    }

    [Fact]
    public void A_worker_started_again_since_the_first_reading_counts_its_reclaims_from_zero()
    {
        // helper-139: worker-2 had put back 300 in an earlier phase, was the SIGKILL check's victim and started again; the
        // difference of the sums read "0 put back after their lease expired, 40 of them ran again".
        var before = new Dictionary<string, (int ProcessId, long Count)> { ["worker-1"] = (100, 10), ["worker-2"] = (200, 300) };
        var now = new Dictionary<string, (int ProcessId, long Count)> { ["worker-1"] = (100, 50), ["worker-2"] = (201, 2) };

        Assert.Equal(40 + 2, LoadSystem.ReclaimedSince(before, now));
    }

    [Fact]
    public void Reclaims_are_counted_from_the_first_reading_while_the_workers_run_on()
    {
        var before = new Dictionary<string, (int ProcessId, long Count)> { ["worker-1"] = (100, 10), ["worker-2"] = (200, 300) };
        var now = new Dictionary<string, (int ProcessId, long Count)> { ["worker-1"] = (100, 10), ["worker-2"] = (200, 345), ["worker-3"] = (300, 5) };

        Assert.Equal(45 + 5, LoadSystem.ReclaimedSince(before, now));
    }

    [Fact]
    public void Metrics_without_a_reclaim_count_are_an_error_that_shows_them()
    {
        var error = Assert.Throws<InvalidDataException>(() => LoadSystem.ReadReclaimed("""{"processed":1}"""));

        Assert.Contains("\"processed\":1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_servers_containers_are_named_for_the_run_so_kept_ones_are_found_again()
    {
        var session = Guid.Parse("1a2b3c4d-0000-4000-8000-000000000000");

        Assert.Equal("agentsystem-load-postgres-1a2b3c4d", LoadSystem.ContainerName("postgres", session));
        Assert.Equal("agentsystem-load-redis-1a2b3c4d", LoadSystem.ContainerName("redis", session));
    }

    [Theory]
    [InlineData(null, true, true)]
    [InlineData("enqueue,claim-ack", false, false)]
    [InlineData("queue-e2e", true, false)]
    [InlineData("enqueue,http", true, true)]
    public void Only_the_services_the_scenarios_need_are_started(string? scenarios, bool workers, bool gateway)
    {
        var options = new LoadOptions { Scenarios = scenarios is null ? null : LoadArguments.ParseScenarios(scenarios) };

        Assert.Equal((workers, gateway), LoadSystem.ServicesFor(options));
    }
}

