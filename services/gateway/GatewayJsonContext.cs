using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSystem.Gateway.Apis;

namespace AgentSystem.Gateway;

// Trimmed images turn reflection-based JSON off: every type the API reads or writes is listed here.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ServiceInfo))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
