using System.Globalization;
using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Tests;

/// <summary>A process's CPU from its stat file, and a container's from its cgroup, read from a /proc and cgroup tree written here.</summary>
public sealed class CpuCounterTests : IDisposable
{
    private const string Id = "4f1c2e9ab37d0c5e";
    private readonly string _root = Directory.CreateTempSubdirectory("cpu-").FullName;

    private string Proc => Path.Combine(_root, "proc");

    private string Cgroups => Path.Combine(_root, "cgroup");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("proc", 0.1)]
    [InlineData("postgres: svc (x) idle", 0.1)]   // a command name with spaces and parentheses is read past
    public void A_process_is_its_user_and_system_ticks_in_seconds(string name, double seconds)
    {
        Process(30, cgroup: "0::/\n", name: name);

        Assert.Equal(seconds, CpuCounter.StatSeconds(Path.Combine(Proc, "30", "stat"))!.Value, 6);
        Assert.Null(CpuCounter.StatSeconds(Path.Combine(Proc, "99", "stat")));
    }

    [Fact]
    public void A_container_under_cgroup_v1_is_its_cpuacct_usage()
    {
        Process(40, cgroup: "12:memory:/docker/aaaa\n2:cpuacct:/docker/bbbb\n");   // another container's
        Process(41, cgroup: $"4:memory:/docker/{Id}\n2:cpuacct:/docker/{Id}\n0::/\n");   // the hybrid layout: v2 holds nothing
        Counter($"cpuacct/docker/{Id}/cpuacct.usage", "2500000000\n");
        Directory.CreateDirectory(Path.Combine(Proc, "self"));

        var counter = CpuCounter.Container(Id, Proc, Cgroups);

        Assert.Equal(2.5, counter!.Seconds()!.Value, 6);
        Assert.EndsWith("cpuacct.usage", counter.Identity, StringComparison.Ordinal);
    }

    [Fact]
    public void A_container_under_cgroup_v2_is_its_cpu_stat_usage()
    {
        Process(50, cgroup: $"0::/system.slice/docker-{Id}.scope\n");
        Counter($"system.slice/docker-{Id}.scope/cpu.stat", "usage_usec 1750000\nuser_usec 1000000\nsystem_usec 750000\n");

        Assert.Equal(1.75, CpuCounter.Container(Id, Proc, Cgroups)!.Seconds()!.Value, 6);
    }

    [Fact]
    public void A_container_with_no_process_or_no_accounting_here_has_no_counter()
    {
        Process(60, cgroup: $"2:cpuacct:/docker/{Id}\n");   // its cgroup's files are not mounted here

        Assert.Null(CpuCounter.Container(Id, Proc, Cgroups));
        Assert.Null(CpuCounter.Container("0123456789abcdef", Proc, Cgroups));
    }

    [Fact]
    public void On_this_machine_the_test_process_is_read_and_an_unknown_container_is_not_found()
    {
        Assert.Null(CpuCounter.Container(Guid.NewGuid().ToString("N")));
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(CpuCounter.Process(Environment.ProcessId).Seconds());
            return;
        }

        Assert.True(CpuCounter.Process(Environment.ProcessId).Seconds() > 0);
    }

    private void Process(int pid, string cgroup, string name = "proc")
    {
        var folder = Path.Combine(Proc, pid.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        // Fields 3 to 13 before utime: state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt, cmajflt.
        File.WriteAllText(Path.Combine(folder, "stat"), $"{pid} ({name}) S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 7 3 30 20 20 0 1 0 100 1000 10\n");
        File.WriteAllText(Path.Combine(folder, "cgroup"), cgroup);
    }

    private void Counter(string relativePath, string text)
    {
        var path = Path.Combine(Cgroups, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
