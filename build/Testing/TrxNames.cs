using System.Xml;

namespace AgentSystem.Build.Testing;

/// <summary>
/// dotnet test names each TRX file by user, machine and time ("_vm_2026-12-07_12_44_45_net10.0.trx"), nothing of its
/// project (helper-126: nine such files side by side; vstest's {assembly} placeholder is not in this SDK). After a run
/// each is renamed after the test assembly it ran.
/// </summary>
public static class TrxNames
{
    /// <summary>Renames each TRX file of <paramref name="directory"/> to ASSEMBLY.trx, unless a file of that name is there already.</summary>
    public static void NameByAssembly(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (var path in Directory.GetFiles(directory, "*.trx"))
        {
            if (AssemblyOf(path) is { } assembly && Path.Combine(directory, assembly + ".trx") is var named && !File.Exists(named))
            {
                try
                {
                    File.Move(path, named);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    // Still held (a test host killed on Windows): its name is only less telling, and the run's own
                    // outcome, which this runs after, must not be replaced by this.
                }
            }
        }
    }

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
