namespace AgentSystem.Testing.Containers.Sessions;

/// <summary>
/// Labels on every container, network and volume the library creates. They replace Testcontainers' Ryuk reaper: a
/// later test process can tell whether the process that made a resource is still alive, and remove it if not.
/// </summary>
public static class SessionLabels
{
    /// <summary>Marks anything the tests made: `docker ps -a --filter label=agentsystem.tests=true`.</summary>
    public const string Tests = "agentsystem.tests";

    public const string Session = "agentsystem.session";

    public const string ProcessId = "agentsystem.session.pid";

    public const string Host = "agentsystem.session.host";

    /// <summary>The process start time in clock ticks since boot (/proc/&lt;pid&gt;/stat field 22): a reused pid has another.</summary>
    public const string ProcessStartTime = "agentsystem.session.starttime";

    /// <summary>The kernel's boot id: pids and start times mean nothing across a reboot.</summary>
    public const string BootId = "agentsystem.session.boot";

    /// <summary>The process's pid namespace ("pid:[4026531836]"): a pid means something only inside its namespace (a test
    /// process in a container with the host's name and socket is another namespace).</summary>
    public const string PidNamespace = "agentsystem.session.pidns";

    /// <summary>When the session began (UTC, ISO 8601): other hosts' sessions are swept only when old.</summary>
    public const string Created = "agentsystem.session.created";

    /// <summary>The logical image (postgres, redis) a container was started for, for timing tables and `docker ps`.</summary>
    public const string LogicalImage = "agentsystem.image";

    public const string TestsFilter = Tests + "=true";
}
