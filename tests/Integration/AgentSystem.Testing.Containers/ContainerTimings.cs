using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentSystem.Testing.Containers;

/// <summary>
/// Every container's create-to-ready time in this process, and, when AGENTSYSTEM_CONTAINER_TIMINGS names a file, one
/// JSON line per container appended to it, so the build can print a table across test assemblies.
/// </summary>
public static class ContainerTimings
{
    public const string FileVariable = "AGENTSYSTEM_CONTAINER_TIMINGS";

    // Plain text for whoever reads the file (the build's table): image names and times without \u escapes.
    private static readonly JsonSerializerOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Lock Gate = new();
    private static readonly List<ContainerTiming> Recorded = [];

    public static IReadOnlyList<ContainerTiming> All
    {
        get
        {
            lock (Gate)
            {
                return Recorded.ToArray();
            }
        }
    }

    internal static void Record(ContainerTiming timing)
    {
        var line = ToJsonLine(timing);
        var path = Environment.GetEnvironmentVariable(FileVariable);
        lock (Gate)
        {
            Recorded.Add(timing);
            if (!string.IsNullOrWhiteSpace(path))
            {
                try
                {
                    // One short append per line: several test processes may write the same file at once.
                    File.AppendAllText(path, line + "\n");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    ContainerLog.Info($"cannot write container timings to {path}: {ex.Message}");
                }
            }
        }
    }

    public static string ToJsonLine(ContainerTiming timing)
    {
        ArgumentNullException.ThrowIfNull(timing);
        return new JsonObject
        {
            ["image"] = timing.Image,
            ["logical"] = timing.LogicalName,
            ["name"] = timing.ContainerName,
            ["seconds"] = Math.Round(timing.CreateToReady.TotalSeconds, 3),
            ["readyAt"] = timing.ReadyAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        }.ToJsonString(LineOptions);
    }
}
