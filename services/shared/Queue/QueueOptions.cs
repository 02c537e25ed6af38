using System.ComponentModel.DataAnnotations;

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
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries before a job is dead-lettered.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;
}
