using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.Orchestrator.Model;
using AgentSystem.Orchestrator.Planning;

namespace AgentSystem.Orchestrator;

// Trimmed images turn reflection-based JSON off: every type the service reads or writes is listed here, the chat
// messages of the LLM planner included. ProblemDetails have their own context in ASP.NET; the events stream's
// error event writes one itself.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CreateTaskRequest))]
[JsonSerializable(typeof(IReadOnlyList<JobRequest?>))]
[JsonSerializable(typeof(TaskResponse))]
[JsonSerializable(typeof(TaskChangeResponse))]
[JsonSerializable(typeof(TaskPageResponse))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(ChatRequestDto))]
[JsonSerializable(typeof(ChatReplyDto))]
internal sealed partial class OrchestratorJsonContext : JsonSerializerContext;
