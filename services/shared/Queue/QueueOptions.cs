using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;

namespace AgentSystem.Queue;

/// <summary>Section "Queue" (and "Redis:Configuration" for the connection, in ASP.NET's convention).</summary>
public sealed class QueueOptions
{
    public const string SectionName = "Queue";

    /// <summary>Key prefix, so several systems (or tests) share one Redis without meeting.</summary>
    [Required]
    public string Prefix { get; set; } = "agentsystem:";

    /// <summary>How long a claimed job stays invisible before another worker may take it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification =
        "Validated by the source-generated QueueOptionsValidator, which uses a trim-safe copy of the range, never by reflection over this attribute.")]
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries before a job is dead-lettered.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Expired leases one <see cref="IJobQueue.ReclaimExpiredAsync"/> call handles at most (it stays one short script).</summary>
    [Range(1, 10_000)]
    public int ReclaimBatchSize { get; set; } = 500;
}
