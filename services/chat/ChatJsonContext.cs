using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.Chat.Model;

namespace AgentSystem.Chat;

// Trimmed images turn reflection-based JSON off: every type the API reads or writes is listed here.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ChatRequest))]
[JsonSerializable(typeof(ChatResponse))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;
