using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;
using Microsoft.AspNetCore.Mvc;

namespace AgentSystem.Chat;

// Trimmed images turn reflection-based JSON off: every type the API reads or writes is listed here,
// and so is the OpenAI-compatible wire format the provider speaks.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ChatRequest))]
[JsonSerializable(typeof(ChatResponse))]
[JsonSerializable(typeof(ChatDelta))]
[JsonSerializable(typeof(ChatStreamEnd))]
[JsonSerializable(typeof(Conversation))]
[JsonSerializable(typeof(ConversationPage))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(OpenAiRequest))]
[JsonSerializable(typeof(OpenAiCompletion))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;
