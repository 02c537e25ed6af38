using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Testing;

/// <summary>
/// When the system test runs unasked: an affected service with an image (the system it drives is made of them), or an
/// affected system test project. One fact for the SystemTest target's condition and the workflow's system job, which a
/// change to a unit test alone no longer starts (helper-118).
/// </summary>
public static class SystemTests
{
    /// <summary>Where the system suites are: run by SystemTest against the composed system, not by UnitTest.</summary>
    public const string Folder = "tests/System";

    public static bool Affected(AffectedResult changes, string root)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return changes.ImageServices(root).Count > 0 || changes.TestProjects.Any(p => PathUtil.IsUnder(p, Folder));
    }
}
