using System.Globalization;

namespace AgentSystem.Testing.Containers.Sessions;

/// <summary>One test process: the labels that tie what it creates to it, so a later process can sweep it if this one dies.</summary>
public sealed class TestSession
{
    private TestSession(Guid id, int processId, string host, long? processStartTime, string? bootId, string? pidNamespace, DateTimeOffset created)
    {
        Id = id;
        ProcessId = processId;
        Host = host;
        ProcessStartTime = processStartTime;
        BootId = bootId;
        PidNamespace = pidNamespace;
        Created = created;
        Labels = new Dictionary<string, string>
        {
            [SessionLabels.Tests] = "true",
            [SessionLabels.Session] = id.ToString("D"),
            [SessionLabels.ProcessId] = processId.ToString(CultureInfo.InvariantCulture),
            [SessionLabels.Host] = host,
            [SessionLabels.ProcessStartTime] = processStartTime?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            [SessionLabels.BootId] = bootId ?? string.Empty,
            [SessionLabels.PidNamespace] = pidNamespace ?? string.Empty,
            [SessionLabels.Created] = created.ToString("O", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>This process's session, made on first use.</summary>
    public static TestSession Current { get; } = Create();

    public Guid Id { get; }

    public int ProcessId { get; }

    public string Host { get; }

    public long? ProcessStartTime { get; }

    public string? BootId { get; }

    public string? PidNamespace { get; }

    public DateTimeOffset Created { get; }

    /// <summary>The labels to put on every container, network and volume of this session.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>The label filter that selects this session's resources.</summary>
    public string Filter => $"{SessionLabels.Session}={Id:D}";

    private static TestSession Create()
    {
        var pid = Environment.ProcessId;
        return new TestSession(
            Guid.NewGuid(),
            pid,
            Environment.MachineName,
            ProcessInfo.TryGetStartTime(pid),
            ProcessInfo.BootId,
            ProcessInfo.PidNamespace,
            DateTimeOffset.UtcNow);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"session {Id:D} (pid {ProcessId} on {Host}, started {Created:O})");
}
