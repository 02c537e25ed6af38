using System.Diagnostics;

namespace AgentSystem.Testing.Containers;

/// <summary>The library's few notices (a sweep, an image fallback): on stderr, where a test run shows them, and as a trace.</summary>
internal static class ContainerLog
{
    private const string Prefix = "[AgentSystem.Testing.Containers] ";

    public static void Info(string message)
    {
        Console.Error.WriteLine(Prefix + message);
        Trace.WriteLine(Prefix + message);
    }
}
