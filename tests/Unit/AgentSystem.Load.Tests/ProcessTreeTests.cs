using System.Globalization;
using AgentSystem.Load.Harness;

namespace AgentSystem.Load.Tests;

/// <summary>A process's CPU with what it started, and a container's first process, read from a /proc written here.</summary>
public sealed class ProcessTreeTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    [Fact]
    public void A_process_counts_its_own_cpu_its_reaped_childrens_and_every_live_descendants()
    {
        Process(10, parent: 1, utime: 100, stime: 50, cutime: 30, cstime: 20, children: [11, 12]);   // 2 s, reaped ones included
        Process(11, parent: 10, utime: 40, stime: 10, children: [13]);
        Process(12, parent: 10, utime: 5, stime: 5);
        Process(13, parent: 11, utime: 1, stime: 1, cutime: 8);

        Assert.Equal(2.0 + 0.5 + 0.1 + 0.1, ProcessTree.CpuSeconds(10, _proc)!.Value, 6);
    }

    [Fact]
    public void A_child_that_ended_after_its_parent_listed_it_is_skipped_and_a_process_gone_is_null()
    {
        Process(20, parent: 1, utime: 100, stime: 0, children: [21]);   // 21 has no folder any more

        Assert.Equal(1.0, ProcessTree.CpuSeconds(20, _proc)!.Value, 6);
        Assert.Null(ProcessTree.CpuSeconds(99, _proc));
    }

    [Fact]
    public void A_command_name_with_spaces_and_parentheses_is_read_past()
    {
        Process(30, parent: 1, utime: 7, stime: 3, name: "postgres: svc (x) idle");

        Assert.Equal(0.1, ProcessTree.CpuSeconds(30, _proc)!.Value, 6);
    }

    [Fact]
    public void A_containers_first_process_is_the_one_of_its_processes_whose_parent_is_outside_it()
    {
        const string Id = "4f1c2e9ab37d";
        Process(40, parent: 1, cgroup: "12:cpuacct:/docker/aaaa\n");   // the engine's shim, outside
        Process(41, parent: 40, cgroup: $"2:cpuacct:/docker/{Id}\n0::/\n");
        Process(42, parent: 41, cgroup: $"2:cpuacct:/docker/{Id}\n");
        Process(43, parent: 41, cgroup: $"0::/system.slice/docker-{Id}.scope\n");   // cgroup v2 with systemd names it so
        Directory.CreateDirectory(Path.Combine(_proc, "self"));

        Assert.Equal(41, ProcessTree.ContainerRoot(Id, _proc));
        Assert.Null(ProcessTree.ContainerRoot("0123456789ab", _proc));
    }

    [Fact]
    public void On_this_machine_the_test_process_is_read_and_an_unknown_container_is_not_found()
    {
        Assert.True(ProcessTree.CpuSeconds(Environment.ProcessId) > 0);
        Assert.Null(ProcessTree.ContainerRoot(Guid.NewGuid().ToString("N")));
    }

    private void Process(int pid, int parent, long utime = 0, long stime = 0, long cutime = 0, long cstime = 0, int[]? children = null,
        string name = "proc", string cgroup = "0::/\n")
    {
        var folder = Path.Combine(_proc, Text(pid));
        Directory.CreateDirectory(Path.Combine(folder, "task", Text(pid)));
        // Fields 3 to 13 before utime: state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt, cmajflt.
        File.WriteAllText(Path.Combine(folder, "stat"),
            $"{pid} ({name}) S {parent} {pid} {pid} 0 -1 4194560 100 0 0 0 {utime} {stime} {cutime} {cstime} 20 0 1 0 100 1000 10\n");
        File.WriteAllText(Path.Combine(folder, "cgroup"), cgroup);
        File.WriteAllText(Path.Combine(folder, "task", Text(pid), "children"), string.Join(' ', children ?? []) + (children is null ? "" : " "));
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
