using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// Writes a <see cref="DateTimeOffset"/> as UTC with a Z ("2026-12-04T03:55:43.5667110Z"), the form the orchestrator's
/// timestamps have, instead of the serializer's "+00:00"; reads any ISO 8601 offset.
/// </summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime);
    }
}
