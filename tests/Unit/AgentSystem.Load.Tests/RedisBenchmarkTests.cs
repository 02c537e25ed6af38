using AgentSystem.Build.Engine;
using AgentSystem.Load.References;
using AgentSystem.Load.Reports;

namespace AgentSystem.Load.Tests;

public sealed class RedisBenchmarkTests
{
    [Fact]
    public void An_enqueue_of_many_carries_each_job_with_an_id_and_a_message_of_its_own_in_the_shared_lane()
    {
        string[] one = ["EVALSHA", "sha", "4", "queue", "known", "idle", "ready", "", "1", "job-__rand_int__", "__rand_int__xx"];

        var many = RedisBenchmark.EnqueueMany(one, 3, "__rand_int__yy");

        Assert.Equal(["EVALSHA", "sha", "4", "queue", "known", "idle", "ready", "", "3",
            "job-__rand_int__", "__rand_int__yy", "job-__rand_int__", "__rand_int__yy", "job-__rand_int__", "__rand_int__yy"], many);
    }

    [Fact]
    public void A_reference_command_line_reads_back_in_a_shell_as_it_ran_with_the_password_left_out()
    {
        var line = ShellCommand.Of("/usr/bin/redis-benchmark", ["-h", "127.0.0.1", "-a", "s3cr'et", "-n", "40000", "EVALSHA", "abc", "", "it's", "__rand_int__xx"],
            secretAfter: "-a", secretAs: "\"$REDIS_PASSWORD\"");

        Assert.Equal("/usr/bin/redis-benchmark -h 127.0.0.1 -a \"$REDIS_PASSWORD\" -n 40000 EVALSHA abc '' 'it'\\''s' __rand_int__xx", line);
    }

    [Fact]
    public void The_reference_commands_file_names_each_row_that_ran_here()
    {
        var reference = new ReferenceSummary(
            [new ReferenceResult("redis-benchmark LPUSH -P1", "LPUSH", 50, 1, 40_000, 1, 2, CommandLine: "redis-benchmark -P 1 LPUSH q x", Then: "redis-cli DEL q"),
             new ReferenceResult("read back from a summary", "LPUSH", 50, 1, 40_000, 1, 2)],
            [new ReferenceResult("wrk /healthz -c64", "GET", 64, 1, 20_000, 1, 2, CommandLine: "wrk -c 64 http://127.0.0.1:1/healthz")]);

        var file = LoadReport.ReferenceCommands(reference);

        Assert.NotNull(file);
        Assert.StartsWith("#!/bin/sh\n", file, StringComparison.Ordinal);
        Assert.EndsWith("\n# redis-benchmark LPUSH -P1\nredis-benchmark -P 1 LPUSH q x\n# the keys of the rows above removed, as the run removed them\nredis-cli DEL q\n"
            + $"\n# wrk /healthz -c64\n# {LoadReport.WrkNote}\nwrk -c 64 http://127.0.0.1:1/healthz\n", file, StringComparison.Ordinal);
        Assert.Null(LoadReport.ReferenceCommands(ReferenceSummary.None));
    }
}
