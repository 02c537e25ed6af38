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
    /// against 42k/s) and cost 44 µs of CPU per request, which every test and load run paid. An existing daemon.json
    /// is the machine owner's and is left as it is.
    /// </summary>
    private static void WriteDaemonConfig()
    {
        const string path = "/etc/docker/daemon.json";
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, """{ "userland-proxy": false }""" + Environment.NewLine);
        Log.Info($"Wrote {path}: published ports are forwarded by the kernel, not by a docker-proxy per port.");
    }

    /// <summary>Installs and starts dockerd, waits until it answers; returns what it did and where its log is.</summary>
    private string Provision(CancellationToken cancellationToken)
    {
        if (!File.Exists("/usr/sbin/dockerd") && !File.Exists("/usr/bin/dockerd"))
        {
            Apt.Install(["docker.io", "iptables", "ca-certificates"], stepLogDirectory, cancellationToken);
        }

        WriteDaemonConfig();
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
