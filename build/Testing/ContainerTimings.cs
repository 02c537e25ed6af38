using System.Globalization;
using System.Text.Json;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Testing;

/// <summary>Prints how long each test container took from create to ready (the container library writes JSON lines).</summary>
public static class ContainerTimings
{
    public static void Print(string path)
    {
        if (!File.Exists(path)) return;
        var table = new TextTable("Container", "Image", "Start to ready");
        foreach (var line in File.ReadLines(path).Where(l => l.Trim().Length > 0))
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            table.AddRow(Text(root, "name"), Text(root, "image"),
                root.TryGetProperty("seconds", out var seconds) ? seconds.GetDouble().ToString("0.00 s", CultureInfo.InvariantCulture) : "");
        }
        Log.Info("Test containers:");
        foreach (var line in table.Render()) Log.Info(line);
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ToString() : "";
}
