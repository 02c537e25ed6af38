using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentSystem.Build.Engine;

/// <summary>Writes <c>.nuke/build.schema.json</c> (IDE completion for parameters.json) when it differs from the build.</summary>
internal static class BuildSchema
{
    public static string Generate(ParameterSet parameters)
    {
        var properties = new JsonObject { ["$schema"] = new JsonObject { ["type"] = "string" } };
        foreach (var parameter in parameters.Parameters)
        {
            properties[parameter.Name] = Describe(parameter);
        }
        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = "Build Schema",
            ["type"] = "object",
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    public static void WriteIfChanged(string root, ParameterSet parameters)
    {
        var path = Path.Combine(root, BuildPaths.SchemaFileName);
        var content = Generate(parameters);
        if (File.Exists(path) && File.ReadAllText(path) == content)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }


    private static JsonObject Describe(BuildParameter parameter)
    {
        var type = parameter.ValueType;
        var element = type.IsArray ? type.GetElementType()! : type;
        JsonObject single = element switch
        {
            _ when element.IsEnum => new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(Enum.GetNames(element).Select(n => (JsonNode)JsonValue.Create(n)).ToArray()) },
            _ when element == typeof(bool) => new JsonObject { ["type"] = "boolean" },
            _ when element == typeof(int) => new JsonObject { ["type"] = "integer" },
            _ => new JsonObject { ["type"] = "string" },
        };
        var result = type.IsArray ? new JsonObject { ["type"] = "array", ["items"] = single } : single;
        result["description"] = parameter.Description;
        return result;
    }
}
