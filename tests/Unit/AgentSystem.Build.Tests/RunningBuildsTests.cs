using System.Diagnostics;
using System.Text.Json;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

public sealed class RunningBuildsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("running-builds-").FullName;
    private readonly List<Process> _processes = [];

    public RunningBuildsTests() => Directory.CreateDirectory(Path.Combine(_root, ".nuke"));

    [Fact]
    public void A_compiling_build_names_the_other_build_running_in_its_checkout()
    {
        var other = StartOtherBuild("./build.sh Dev");
        var run = BuildRun<SampleBuild>.Of(["Compile", "--root", _root]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"Another build is running in this checkout: pid {other.Id}, ./build.sh Dev, since ", run.Output);
        Assert.Contains("Dev's services run from bin/", run.Output);
    }

    [Fact]
    public void A_build_that_writes_nothing_neither_warns_nor_registers()
    {
        StartOtherBuild("./build.sh Dev");
        var run = BuildRun<SampleBuild>.Of(["Clean", "--root", _root]);

        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain("Another build", run.Output);
        Assert.Single(Directory.GetFiles(RunningBuilds.Folder(_root)));
    }

    [Fact]
    public void A_build_is_registered_while_it_runs_and_not_after()
    {
        string[] during = [];
        var build = new SampleBuild
        {
            CompileBody = _ =>
            {
                during = Directory.GetFiles(RunningBuilds.Folder(_root)).Select(File.ReadAllText).ToArray();
                return Task.CompletedTask;
            },
        };
        var run = BuildRun<SampleBuild>.Of(["Compile", "--names", "a b", "--root", _root], build: build);

        var entry = JsonSerializer.Deserialize<RunningBuilds.Entry>(Assert.Single(during));
        Assert.Equal(Environment.ProcessId, entry!.Pid);
        Assert.Equal("./build.sh Compile --names 'a b' --root " + _root, entry.CommandLine);
        Assert.Empty(Directory.GetFiles(RunningBuilds.Folder(_root)));
        Assert.DoesNotContain("Another build", run.Output);
    }

    [Fact]
    public void A_registered_command_line_leaves_out_a_secrets_value_in_either_form()
    {
        var line = BuildHost.Quoted(["Dev", "--dev-api-key", "s3cr3t-value", "--system-api-key=other", "--names", "it's", "--base", "main"]);

        Assert.Equal("./build.sh Dev --dev-api-key '***' --system-api-key='***' --names 'it'\\''s' --base main", line);
    }

    [Fact]
    public void A_failed_build_names_the_builds_that_ran_beside_it_even_those_started_after_it()
    {
        Process? other = null;
        var build = new SampleBuild { FailCompile = true, CompileBody = _ => { other = StartOtherBuild("./build.sh Test"); return Task.CompletedTask; } };
        var run = BuildRun<SampleBuild>.Of(["Compile", "--root", _root], build: build);

        Assert.NotEqual(0, run.ExitCode);
        Assert.DoesNotContain("Another build is running", run.Output);
        Assert.Contains($"Beside this build ran pid {other!.Id}, ./build.sh Test, since ", run.Output);
    }

    [Fact]
    public void Registrations_left_by_ended_builds_are_removed_and_another_hosts_are_kept_until_old()
    {
        var folder = RunningBuilds.Folder(_root);
        Directory.CreateDirectory(folder);
        var ended = Process.Start("true")!;
        ended.WaitForExit();
        Write(new RunningBuilds.Entry(ended.Id, Environment.MachineName, DateTimeOffset.UtcNow, "./build.sh Test"), "ended.json");
        // A pid given to another process since: its start time is not the build's.
        var reused = StartProcess();
        Write(new RunningBuilds.Entry(reused.Id, Environment.MachineName, DateTimeOffset.UtcNow.AddHours(-1), "./build.sh Test"), "reused.json");
        File.WriteAllText(Path.Combine(folder, "torn.json"), "{\"Pid\": 4");
        Write(new RunningBuilds.Entry(1, "another-host", DateTimeOffset.UtcNow, "./build.sh Dev"), "foreign.json");
        Write(new RunningBuilds.Entry(1, "another-host", DateTimeOffset.UtcNow.AddDays(-9), "./build.sh Dev"), "old-foreign.json");
        File.SetLastWriteTimeUtc(Path.Combine(folder, "old-foreign.json"), DateTime.UtcNow.AddDays(-9));
        File.WriteAllText(Path.Combine(folder, "killed-while-writing.json.tmp"), "{");
        File.SetLastWriteTimeUtc(Path.Combine(folder, "killed-while-writing.json.tmp"), DateTime.UtcNow.AddMinutes(-5));

        using var registry = RunningBuilds.Register(_root, "./build.sh Compile");

        Assert.Empty(registry.Others());
        Assert.Equal(["foreign.json", $"{Environment.MachineName}-{Environment.ProcessId}.json"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private Process StartOtherBuild(string commandLine)
    {
        var process = StartProcess();
        Directory.CreateDirectory(RunningBuilds.Folder(_root));
        Write(new RunningBuilds.Entry(process.Id, Environment.MachineName, new DateTimeOffset(process.StartTime.ToUniversalTime()), commandLine),
            $"{Environment.MachineName}-{process.Id}.json");
        return process;
    }

    private Process StartProcess()
    {
        var process = Process.Start("sleep", "60")!;
        _processes.Add(process);
        return process;
    }

    private void Write(RunningBuilds.Entry entry, string name) =>
        File.WriteAllText(Path.Combine(RunningBuilds.Folder(_root), name), JsonSerializer.Serialize(entry));

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            process.Kill();
            process.Dispose();
        }
        Directory.Delete(_root, recursive: true);
    }
}
