using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.Contracts;

namespace AgentSystem.Queue;

/// <summary>A dead-letter entry as stored: the message as it was delivered last, the error, and when (ms since the epoch).</summary>
internal sealed record DeadLetterEntry(JobMessage? Message, string? Error, long At, string? Raw = null);

/// <summary>
/// Source-generated (trim-safe) JSON for what the queue stores: camelCase, as the Lua scripts read it
/// (<c>attempt</c>, <c>jobId</c>, <c>enqueuedAt</c>).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(JobMessage))]
[JsonSerializable(typeof(DeadLetterEntry))]
internal sealed partial class QueueJsonContext : JsonSerializerContext;
