using AgentSystem.Build.Testing;

namespace AgentSystem.Build.Tests;

/// <summary>helper-126: the TRX files were named by user, machine and time, nothing of their project.</summary>
public sealed class TrxNamesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("trx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void Write(string name, string assembly) => File.WriteAllText(Path.Combine(_folder, name), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <TestDefinitions>
            <UnitTest name="A.B" storage="/x/bin/{assembly.ToLowerInvariant()}.dll">
              <TestMethod codeBase="/x/bin/Debug/net10.0/{assembly}.dll" className="A" name="B" />
            </UnitTest>
          </TestDefinitions>
        </TestRun>
        """);

    [Fact]
    public void Each_file_is_named_after_its_test_assembly_and_an_existing_name_is_kept()
    {
        Write("_vm_2026-12-07_12_44_45_net10.0.trx", "AgentSystem.Gateway.Tests");
        Write("_vm_2026-12-07_12_44_46_net10.0.trx", "AgentSystem.Worker.Tests");
        Write("AgentSystem.Chat.Tests.trx", "AgentSystem.Chat.Tests");
        Write("_vm_2026-12-07_12_44_47_net10.0.trx", "AgentSystem.Chat.Tests");   // a second run's: that name is taken
        File.WriteAllText(Path.Combine(_folder, "_vm_empty.trx"), "<TestRun />");

        var renamed = TrxNames.NameByAssembly(_folder);

        Assert.Equal(
            [("_vm_2026-12-07_12_44_45_net10.0.trx", "AgentSystem.Gateway.Tests.trx"), ("_vm_2026-12-07_12_44_46_net10.0.trx", "AgentSystem.Worker.Tests.trx")],
            renamed.Select(r => (Path.GetFileName(r.From), Path.GetFileName(r.To))));
        Assert.EndsWith(": AgentSystem.Gateway.Tests.trx, AgentSystem.Worker.Tests.trx.", TrxNames.Note(renamed), StringComparison.Ordinal);
        Assert.Null(TrxNames.Note([]));
        Assert.Equal(
            ["AgentSystem.Chat.Tests.trx", "AgentSystem.Gateway.Tests.trx", "AgentSystem.Worker.Tests.trx", "_vm_2026-12-07_12_44_47_net10.0.trx", "_vm_empty.trx"],
            Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
