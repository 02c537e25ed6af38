using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.Orchestrator.Model;

namespace AgentSystem.Orchestrator;

// Trimmed images turn reflection-based JSON off: every type the API reads or writes is listed here.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CreateTaskRequest))]
[JsonSerializable(typeof(TaskRecord))]
internal sealed partial class OrchestratorJsonContext : JsonSerializerContext;
