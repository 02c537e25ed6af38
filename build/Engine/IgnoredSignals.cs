using System.Globalization;

namespace AgentSystem.Build.Engine;

/// <summary>
/// The signals this process ignores, as it was started (Linux's <c>/proc/self/status</c>). A build run in a script's
/// background (a non-interactive shell's job) ignores SIGINT, and the children it starts inherit that, except node,
/// which resets ignored signals at start and so has to be told.
/// </summary>
public static class IgnoredSignals
{
    /// <summary>SIGINT's number on Linux.</summary>
    public const int Interrupt = 2;

    private const string StatusFile = "/proc/self/status";
    private const string MaskField = "SigIgn:";

    /// <summary>True when this process ignores SIGINT; false where there is no <c>/proc</c>.</summary>
    public static bool InterruptIgnored() => File.Exists(StatusFile) && Includes(File.ReadAllText(StatusFile), Interrupt);

    /// <summary>Whether a <c>/proc/PID/status</c> text's ignored mask (hex, bit N-1 for signal N) holds <paramref name="signal"/>.</summary>
    public static bool Includes(string status, int signal)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentOutOfRangeException.ThrowIfLessThan(signal, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(signal, 64);
        var line = status.Split('\n').FirstOrDefault(l => l.StartsWith(MaskField, StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line[MaskField.Length..].Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var mask)
            && (mask & (1UL << (signal - 1))) != 0;
    }
}
