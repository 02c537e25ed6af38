using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.Worker.Handlers;
using AgentSystem.Worker.Services;

namespace AgentSystem.Worker;

// Trimmed images turn reflection-based JSON off: every type the API reads or writes is listed here.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MetricsSnapshot))]
[JsonSerializable(typeof(ChatRequest))]
[JsonSerializable(typeof(ChatReply))]
internal sealed partial class WorkerJsonContext : JsonSerializerContext;
