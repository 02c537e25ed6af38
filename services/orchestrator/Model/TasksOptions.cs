using AgentSystem.Contracts;

namespace AgentSystem.Orchestrator.Model;

/// <summary>Section "Tasks": the limits of the task API that are not part of the contract.</summary>
public sealed class TasksOptions
{
    public const string SectionName = "Tasks";

    /// <summary>Largest <c>POST /tasks</c> body (413 above it); the contract's largest task fits the default.</summary>
    public long MaxRequestBodyBytes { get; set; } = Limits.MaxRequestBodyBytes;

    /// <summary>
    /// The most one API key's tasks may hold (bytes of UTF-8 as <see cref="Store.NewTask.StoredBytes"/> counts them, from
    /// submit until retention deletes them); a task past it is a 403. 0: no limit.
    /// </summary>
    public long MaxStoredBytesPerKey { get; set; } = 1024L * 1024 * 1024;

    /// <summary>How long a request waits for Redis after the commit (and as long again for marking the jobs sent) before it leaves the jobs to the dispatcher.</summary>
    public TimeSpan EnqueueTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Section "Events": the <c>GET /tasks/{id}/events</c> stream.</summary>
public sealed class EventsOptions
{
    public const string SectionName = "Events";

    /// <summary>
    /// How often every watched task is read again in any case (only those whose updated_at moved come back): the bound
    /// on how late a stream learns of a change whose Redis signal was lost.
    /// </summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A comment line after this long without an event, so proxies keep the connection open.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the orchestrator goes on hearing the task signals after its last stream ended (it hears them only while
    /// streams are open), so that a page opening one stream after another does not subscribe for each.
    /// </summary>
    public TimeSpan ListenAfterLastStream { get; set; } = TimeSpan.FromSeconds(30);
}
