using System.Globalization;
using System.Text.Json;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Testing;

/// <summary>
/// Prints how long test containers took from create to ready, per image (the container library writes one JSON line
/// per container to the file the build names in AGENTSYSTEM_CONTAINER_TIMINGS).
/// </summary>
public static class ContainerTimings
{
    public static void Print(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        var byImage = File.ReadLines(path)
            .Where(line => line.Trim().Length > 0)
            .Select(Parse)
            .GroupBy(t => t.Image)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        var table = new TextTable("Image", "Containers", "Fastest", "Median", "Slowest");
        foreach (var group in byImage)
        {
            var seconds = group.Select(t => t.Seconds).Order().ToList();
            table.AddRow(group.Key, seconds.Count.ToString(CultureInfo.InvariantCulture), Format(seconds[0]), Format(seconds[seconds.Count / 2]), Format(seconds[^1]));
        }
        Log.Info("Test containers, start to ready:");
        foreach (var line in table.Render())
        {
            Log.Info(line);
        }
    }

    private static (string Image, double Seconds) Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        var image = root.TryGetProperty("image", out var value) ? value.ToString() : "?";
        return (image, root.TryGetProperty("seconds", out var seconds) ? seconds.GetDouble() : 0);
    }

    private static string Format(double seconds) => seconds.ToString("0.00 s", CultureInfo.InvariantCulture);
}
