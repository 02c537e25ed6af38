using System.Xml;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Testing;

/// <summary>
/// dotnet test names each TRX file by user, machine and time ("_vm_2026-12-07_12_44_45_net10.0.trx"), nothing of its
/// project (helper-126: nine such files side by side; vstest's {assembly} placeholder is not in this SDK). After a run
/// each is renamed after the test assembly it ran.
/// </summary>
public static class TrxNames
{
    /// <summary>
    /// Renames each TRX file of <paramref name="directory"/> to ASSEMBLY.trx, unless a file of that name is there already;
    /// returns the files renamed, each by its name before and after.
    /// </summary>
    public static IReadOnlyList<(string From, string To)> NameByAssembly(string directory)
    {
        var renamed = new List<(string From, string To)>();
        if (!Directory.Exists(directory))
        {
            return renamed;
        }

        foreach (var path in Directory.GetFiles(directory, "*.trx").Order(StringComparer.Ordinal))
        {
            if (AssemblyOf(path) is { } assembly && Path.Combine(directory, assembly + ".trx") is var named && !File.Exists(named))
            {
                try
                {
                    File.Move(path, named);
                    renamed.Add((path, named));
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    // Still held (a test host killed on Windows): its name is only less telling, and the run's own
                    // outcome, which this runs after, must not be replaced by this.
                }
            }
        }

        return renamed;
    }

    /// <summary>
    /// What to say of <paramref name="renamed"/>, or null for none: dotnet test printed each file's "Results File:" by the
    /// name it gave it, which is gone once renamed (helper-129: the path the log named did not exist).
    /// </summary>
    public static string? Note(IReadOnlyList<(string From, string To)> renamed) => renamed.Count switch
    {
        0 => null,
        1 => $"The Results File {Path.GetFileName(renamed[0].From)} is now {LoggedStep.DisplayPath(renamed[0].To)}, named after its test assembly.",
        _ => $"The {renamed.Count} Results Files are now named after their test assemblies, in {LoggedStep.DisplayPath(Path.GetDirectoryName(renamed[0].To)!)}: "
             + string.Join(", ", renamed.Select(r => Path.GetFileName(r.To))) + ".",
    };

    /// <summary>The test assembly's name (its first test's code base), or null for a file without tests or not a TRX.</summary>
    internal static string? AssemblyOf(string path)
    {
        try
        {
            var codeBase = TestTally.Load(path).GetElementsByTagName("TestMethod").OfType<XmlElement>().FirstOrDefault()?.GetAttribute("codeBase");
            return string.IsNullOrEmpty(codeBase) ? null : Path.GetFileNameWithoutExtension(codeBase);
        }
        catch (Exception error) when (error is XmlException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
