namespace AgentSystem.Testing.Containers.Waits;

/// <summary>One readiness check's answer; when not ready, what it saw (quoted if the wait times out).</summary>
public readonly record struct WaitCheck(bool IsReady, string? Detail)
{
    public static WaitCheck Ready => new(true, null);

    public static WaitCheck NotReady(string detail) => new(false, detail);
}
