using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// When AGENTSYSTEM_CONTAINER_TIMINGS names a file, one JSON line per started container is appended to it
/// ({"image", "name", "seconds"}), so the build prints one start-to-ready table across test assemblies.
/// </summary>
public static class ContainerTimings
{
    public const string FileVariable = "AGENTSYSTEM_CONTAINER_TIMINGS";

    // Plain text for the build's table: image names without \u escapes.
    private static readonly JsonSerializerOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly Lock Gate = new();

    public static void Record(string image, string name, TimeSpan startToReady)
    {
        var path = Environment.GetEnvironmentVariable(FileVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        var line = new JsonObject
        {
            ["image"] = image,
            ["name"] = name,
            ["seconds"] = Math.Round(startToReady.TotalSeconds, 3),
            ["readyAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        }.ToJsonString(LineOptions);
        lock (Gate)
        {
            // One short append per line: several test processes write the same file at once.
            File.AppendAllText(path, line + "\n");
        }
    }
}
