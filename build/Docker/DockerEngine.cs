using AgentSystem.Build.Engine;
using AgentSystem.Build.Tools;

namespace AgentSystem.Build.Docker;

/// <summary>
/// Finds a Docker engine that answers, or on Debian/Ubuntu as root installs docker.io and starts dockerd, and picks a
/// docker CLI that can build with BuildKit.
/// </summary>
/// <param name="stepLogDirectory">Where the logs of installing it go.</param>
public sealed class DockerEngine(string stepLogDirectory)
{
    /// <summary>
    /// dockerd's log: machine-wide, as the daemon is. It outlives the build and serves every checkout here, so nothing
    /// of it (log, working directory) may be in the checkout that happened to start it. Only root provisions dockerd.
    /// </summary>
    public const string DaemonLog = "/var/log/agentsystem-dockerd.log";
    private const int StartTimeoutSeconds = 60;
    /// <summary>Docker CLIs from 23 on need the buildx plugin for BuildKit; 20.10 has it built in.</summary>
    private const int FirstCliNeedingBuildx = 23;

    public string Cli { get; private set; } = "docker";
    public string ServerVersion { get; private set; } = "";
    public bool BuildKit { get; private set; }

    public IReadOnlyDictionary<string, string> BuildEnvironment => new Dictionary<string, string>
    {
        ["DOCKER_BUILDKIT"] = BuildKit ? "1" : "0",
        ["DOCKER_CLI_HINTS"] = "false",
    };

    /// <summary>Makes sure an engine answers; returns what it did, for the log.</summary>
    public string Ensure(CancellationToken cancellationToken)
    {
        var clis = CandidateClis();
        if (clis.Count == 0 && !Apt.CanInstall(out _))
        {
            throw new TargetFailedException("No docker CLI on PATH. Install Docker (Docker Desktop, or docker.io / docker-ce) and start it.");
        }

        string action;
        if (Answers(clis.FirstOrDefault() ?? "docker", cancellationToken) is { } version)
        {
            action = $"Docker engine {version} answers.";
            if (Apt.CanInstall(out _) && ProvisionedHere())
            {
                // The rule is not saved: after a reboot, an engine started by systemd answers without it.
                GuardLoopback(cancellationToken);
            }
        }
        else if (Apt.CanInstall(out var why))
        {
            Log.Warning("No Docker engine answers; this is root on Debian/Ubuntu, so the build provisions one (docker.io + dockerd).");
            action = Provision(cancellationToken);
            clis = CandidateClis();
        }
        else
        {
            throw new TargetFailedException(
                $"No Docker engine answers ({DockerHost}). Start Docker (Docker Desktop, or 'sudo systemctl start docker'); " +
                $"the build installs and starts one itself only as root on Debian or Ubuntu ({why}).");
        }

        ServerVersion = Answers(clis[0], cancellationToken) ?? throw new TargetFailedException("The Docker engine stopped answering.");
        ChooseCli(clis, cancellationToken);
        return action;
    }

    private static string DockerHost => Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    private static string? Answers(string cli, CancellationToken cancellationToken)
    {
        try
        {
            var result = ProcessRunner.Capture(cli, ["version", "--format", "{{.Server.Version}}"], cancellationToken: cancellationToken);
            return result.ExitCode == 0 && result.Output.Trim().Length > 0 ? result.Output.Trim() : null;
        }
        catch (ToolFailedException)
        {
            return null;
        }
    }

    /// <summary>Every docker on PATH, in PATH order, without duplicates.</summary>
    private static List<string> CandidateClis() => Executables.OnPath("docker");

    /// <summary>The first CLI that builds with BuildKit: one with buildx, or one old enough to have BuildKit inside.</summary>
    private void ChooseCli(List<string> clis, CancellationToken cancellationToken)
    {
        foreach (var cli in clis)
        {
            if (ProcessRunner.Capture(cli, ["buildx", "version"], cancellationToken: cancellationToken).ExitCode == 0 || ClientMajor(cli, cancellationToken) < FirstCliNeedingBuildx)
            {
                (Cli, BuildKit) = (cli, true);
                return;
            }
        }
        (Cli, BuildKit) = (clis.FirstOrDefault() ?? "docker", false);
        Log.Warning("No docker CLI here builds with BuildKit (no buildx plugin): using the classic builder, without cache mounts.");
    }

    private static int ClientMajor(string cli, CancellationToken cancellationToken)
    {
        var output = ProcessRunner.Capture(cli, ["version", "--format", "{{.Client.Version}}"], cancellationToken: cancellationToken).Output.Trim();
        return int.TryParse(output.Split('.')[0], out var major) ? major : int.MaxValue;
    }

    /// <summary>
    /// The engine this build provisions forwards published ports in the kernel (iptables DNAT) instead of through a
    /// docker-proxy process per port: measured here, the proxy halved redis-benchmark's LPUSH rate on 127.0.0.1 (19k
    /// against 42k/s) and cost 44 µs of CPU per request, which every test and load run paid. A port published without
    /// an address goes on 127.0.0.1, not every interface: Testcontainers publishes its reaper so, and the reaper holds
    /// the Docker socket and removes whatever a connection's filters name.
    /// </summary>
    internal const string DaemonConfig = """{ "userland-proxy": false, "ip": "127.0.0.1" }""";

    /// <summary>What the build wrote before (2026-12-07): replaced by <see cref="DaemonConfig"/> at the next provisioning.</summary>
    private const string EarlierDaemonConfig = """{ "userland-proxy": false }""";

    private const string DaemonConfigPath = "/etc/docker/daemon.json";

    /// <summary>Whether this build provisioned the engine here: the daemon.json is one it wrote.</summary>
    private static bool ProvisionedHere() => DaemonConfigNow() is DaemonConfig or EarlierDaemonConfig;

    /// <summary>The daemon.json there is, trimmed; null when there is none.</summary>
    private static string? DaemonConfigNow() => File.Exists(DaemonConfigPath) ? File.ReadAllText(DaemonConfigPath).Trim() : null;

    /// <summary>
    /// Packets for 127.0.0.0/8 that did not come from this machine: Docker's DNAT rules for ports published on 127.0.0.1
    /// match them whatever interface they came in on, so a neighbour on the same link could reach those ports (moby
    /// #45610; Docker 28 adds rules of its own, Debian's docker.io 20.10 none). Dropped before NAT, in the raw table.
    /// </summary>
    private static readonly string[] LoopbackGuardRule = ["PREROUTING", "-d", "127.0.0.0/8", "!", "-i", "lo", "-j", "DROP"];

    private static string LoopbackGuardCommand => $"iptables -t raw -I {string.Join(' ', LoopbackGuardRule)}";

    /// <summary>
    /// Writes <see cref="DaemonConfig"/>, or replaces the build's earlier one; any other daemon.json is the machine
    /// owner's and is left as it is.
    /// </summary>
    private static void WriteDaemonConfig()
    {
        if (DaemonConfigNow() is { } existing && existing != EarlierDaemonConfig)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(DaemonConfigPath)!);
        File.WriteAllText(DaemonConfigPath, DaemonConfig + Environment.NewLine);
        Log.Info($"Wrote {DaemonConfigPath}: published ports are forwarded by the kernel, not by a docker-proxy per port, and go on 127.0.0.1 unless a run names an address.");
    }

    /// <summary>Adds <see cref="LoopbackGuardRule"/> once; where iptables cannot (no raw table), says so and goes on.</summary>
    private static void GuardLoopback(CancellationToken cancellationToken)
    {
        // By name, not a resolved path: iptables is a link to a multi-call binary that reads the name it was called by.
        ProcessResult added;
        try
        {
            if (ProcessRunner.Capture("iptables", ["-t", "raw", "-C", .. LoopbackGuardRule], cancellationToken: cancellationToken).ExitCode == 0)
            {
                return;
            }

            added = ProcessRunner.Capture("iptables", ["-t", "raw", "-I", .. LoopbackGuardRule], cancellationToken: cancellationToken);
        }
        catch (ToolFailedException error)
        {
            Log.Warning($"iptables did not run ({error.Message}): packets for 127.0.0.1 from other hosts are not dropped before Docker's port forwarding.");
            return;
        }

        if (added.ExitCode == 0)
        {
            Log.Info($"Added an iptables rule: packets for 127.0.0.0/8 from other hosts are dropped ({LoopbackGuardCommand}).");
        }
        else
        {
            Log.Warning($"Could not add {LoopbackGuardCommand} ({added.Error.Trim()}): packets for 127.0.0.1 from other hosts are not dropped before Docker's port forwarding.");
        }
    }

    /// <summary>Installs and starts dockerd, waits until it answers; returns what it did and where its log is.</summary>
    private string Provision(CancellationToken cancellationToken)
    {
        // Before the install: on a systemd host the package starts docker.service at once, and a config written after
        // would wait for a restart that `systemctl start` does not make.
        WriteDaemonConfig();
        if (!File.Exists("/usr/sbin/dockerd") && !File.Exists("/usr/bin/dockerd"))
        {
            Apt.Install(["docker.io", "iptables", "ca-certificates"], stepLogDirectory, cancellationToken);
        }

        var systemd = Directory.Exists("/run/systemd/system");
        if (systemd)
        {
            ProcessRunner.Run("systemctl", ["start", "docker"], cancellationToken: cancellationToken);
        }
        else
        {
            StartDetached("dockerd", DaemonLog, cancellationToken);
        }

        var deadline = DateTime.UtcNow.AddSeconds(StartTimeoutSeconds);
        while (Answers("docker", cancellationToken) is null)
        {
            if (DateTime.UtcNow > deadline)
            {
                var tail = systemd ? "(journalctl -u docker)" : File.Exists(DaemonLog) ? string.Join(Environment.NewLine, File.ReadLines(DaemonLog).TakeLast(20)) : "(no log)";
                throw new TargetFailedException($"dockerd did not answer within {StartTimeoutSeconds} s. Last lines of {(systemd ? "its log" : DaemonLog)}:{Environment.NewLine}{tail}");
            }
            Thread.Sleep(500);
        }

        GuardLoopback(cancellationToken);
        return systemd ? "Started docker.service (log: journalctl -u docker)." : $"Started dockerd (log: {DaemonLog}).";
    }

    /// <summary>
    /// Starts <paramref name="program"/> detached (setsid + nohup), as a service would run: in /, its output in
    /// <paramref name="log"/>, outliving this build and the checkout it was started from.
    /// </summary>
    internal static void StartDetached(string program, string log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        ProcessRunner.Run("sh", ["-c", "nohup setsid \"$0\" > \"$1\" 2>&1 &", program, log], "/", cancellationToken: cancellationToken);
    }
}
