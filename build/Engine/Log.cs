namespace AgentSystem.Build.Engine;

/// <summary>Console output for the build: plain when redirected or NO_COLOR is set, coloured in a terminal.</summary>
public static class Log
{
    private static readonly object Gate = new();
    internal static readonly bool UseColor = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;

    private static readonly AsyncLocal<TextWriter?> Redirected = new();

    /// <summary>The console, unless a test pointed this flow of execution at a StringWriter.</summary>
    public static TextWriter Out
    {
        get => Redirected.Value ?? Console.Out;
        set => Redirected.Value = value;
    }

    public static void Info(string text) => Write(text, null);
    public static void Success(string text) => Write(text, ConsoleColor.Green);
    public static void Warning(string text) => Write(text, ConsoleColor.Yellow);
    public static void Error(string text) => Write(text, ConsoleColor.Red);
    public static void Highlight(string text) => Write(text, ConsoleColor.Cyan);

    private static void Write(string text, ConsoleColor? color)
    {
        lock (Gate)
        {
            var colored = color is not null && UseColor && Redirected.Value is null;
            if (colored)
            {
                Console.ForegroundColor = color!.Value;
            }

            Out.WriteLine(text);
            if (colored)
            {
                Console.ResetColor();
            }

            Out.Flush();
        }
    }
}
