namespace AgentSystem.Testing.Containers;

/// <summary>The library's defaults in one place, so a reader sees every bound without hunting.</summary>
public static class ContainerDefaults
{
    /// <summary>Ports are published here only: tests never expose a database to the network.</summary>
    public const string LoopbackHost = "127.0.0.1";

    /// <summary>Bound of every start (all its wait strategies together). Testcontainers' is an hour; a hung start should fail a test run, not stall it.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Between two readiness checks: short, because PostgreSQL and Redis are ready in about a second.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Bound of one readiness check (one exec, one HTTP request), so a hung check cannot eat the whole start.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Floor of one check near the deadline: a wait may overrun its timeout by this much, no more.</summary>
    public static readonly TimeSpan MinimumAttemptTime = TimeSpan.FromSeconds(1);

    /// <summary>Log lines quoted in a start failure.</summary>
    public const int FailureLogLines = 40;

    /// <summary>Grace before SIGKILL when a container is stopped.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Containers are named prefix-xxxxxxxx so `docker ps` shows whose they are.</summary>
    public const string NamePrefix = "agentsystem-test";
}
