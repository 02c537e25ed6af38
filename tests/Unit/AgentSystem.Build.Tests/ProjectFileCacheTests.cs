using AgentSystem.Build.Monorepo;
using static AgentSystem.Build.Tests.Selected;

namespace AgentSystem.Build.Tests;

/// <summary>
/// The parsed-project cache trusts (path, size, last write time). These tests change a file's text behind the cache's
/// back while keeping both, which shows whether an answer came from the cache or from the file.
/// </summary>
public sealed class ProjectFileCacheTests : IDisposable
{
    private const string Project = "services/gateway/Gateway.csproj";
    private static readonly DateTime Old = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private readonly TempRepo _repo = TempRepo.WithSampleMonorepo();

    public void Dispose() => _repo.Dispose();

    private string Folder => Path.Combine(_repo.Root, ".nuke", "temp", "affected");

    private string FullPath => Path.Combine(_repo.Root, Project);

    /// <summary>Writes the project referencing one library, with a chosen last write time.</summary>
    private void WriteProject(string library, DateTime written)
    {
        _repo.Write(Project, TempRepo.Project($"../shared/{library}/{library}.csproj"));
        File.SetLastWriteTimeUtc(FullPath, written);
    }

    /// <summary>Opens the cache as a new run would, reads the project, and saves.</summary>
    private IReadOnlyList<string> ReferencesInANewRun()
    {
        var cache = ProjectFileCache.Open(Folder);
        var references = cache.Read(FullPath, Project)!.ProjectReferences;
        cache.Save();
        return references;
    }

    [Fact]
    public void An_unchanged_file_is_answered_from_the_cache()
    {
        WriteProject("Queue1", Old);
        Assert.Equal(["../shared/Queue1/Queue1.csproj"], ReferencesInANewRun());

        WriteProject("Queue2", Old); // same size, same time: only the cache can still say Queue1
        Assert.Equal(["../shared/Queue1/Queue1.csproj"], ReferencesInANewRun());
    }

    [Fact]
    public void A_file_with_another_time_or_size_is_parsed_again()
    {
        WriteProject("Queue1", Old);
        ReferencesInANewRun();

        WriteProject("Queue2", Old.AddSeconds(1));
        Assert.Equal(["../shared/Queue2/Queue2.csproj"], ReferencesInANewRun());

        WriteProject("Queue22", Old.AddSeconds(1));
        Assert.Equal(["../shared/Queue22/Queue22.csproj"], ReferencesInANewRun());
    }

    [Fact]
    public void A_file_written_moments_ago_is_not_kept_since_it_may_change_within_the_same_tick()
    {
        var now = DateTime.UtcNow;
        WriteProject("Queue1", now);
        ReferencesInANewRun();

        WriteProject("Queue2", now);
        Assert.Equal(["../shared/Queue2/Queue2.csproj"], ReferencesInANewRun());
    }

    [Fact]
    public void A_damaged_cache_is_ignored()
    {
        WriteProject("Queue1", Old);
        ReferencesInANewRun();
        var file = Directory.GetFiles(Folder, "*.bin").Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..40]);

        WriteProject("Queue2", Old);
        Assert.Equal(["../shared/Queue2/Queue2.csproj"], ReferencesInANewRun());
    }

    [Fact]
    public void Every_field_detection_reads_survives_the_cache()
    {
        _repo.Write(Project, """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <Import Project="../../eng/common.props" />
              <PropertyGroup><CentralPackageTransitivePinningEnabled>true</CentralPackageTransitivePinningEnabled></PropertyGroup>
              <ItemGroup>
                <Compile Include="../../linked/*.cs" Exclude="../../linked/Old.cs" />
                <None Remove="secret.txt" Condition="'$(A)' == 'b'" />
                <PackageReference Include="Npgsql" />
                <PackageReference Include="Microsoft.NET.Test.Sdk" />
                <PackageVersion Include="Polly" Version="8.0.0" Condition="'$(X)' == 'y'" />
                <ProjectReference Include="../shared/Queue/Queue.csproj" />
              </ItemGroup>
            </Project>
            """);
        File.SetLastWriteTimeUtc(FullPath, Old);
        var parsed = MsBuildFile.Read(FullPath, Project)!;
        ReferencesInANewRun();

        var cached = ProjectFileCache.Open(Folder).Read(FullPath, Project)!;
        Assert.Equal(parsed.Path, cached.Path);
        Assert.Equal(parsed.Sdk, cached.Sdk);
        Assert.Equal(parsed.Imports, cached.Imports);
        Assert.Equal(parsed.ProjectReferences, cached.ProjectReferences);
        Assert.Equal(parsed.Items, cached.Items);
        Assert.Equal(parsed.CentralPackageReferences, cached.CentralPackageReferences);
        Assert.Equal(parsed.PackageVersions, cached.PackageVersions);
        Assert.Equal(parsed.IsTest, cached.IsTest);
        Assert.Equal(parsed.PinsTransitively, cached.PinsTransitively);
    }

    [Fact]
    public void Detection_keeps_its_cache_out_of_the_changed_files_and_sees_later_edits()
    {
        _repo.Git("checkout", "-q", "-b", "feature");
        var first = new AffectedDetector(_repo.Root).Detect(null, all: false);
        Assert.Empty(first.ChangedFiles);
        Assert.True(Directory.Exists(Folder));

        File.SetLastWriteTimeUtc(FullPath, Old);
        new AffectedDetector(_repo.Root).Detect(null, all: false); // now kept: old enough

        _repo.Write(Project, TempRepo.Project("../shared/Queue/Queue.csproj"));
        _repo.Append("services/shared/Queue/Queue.cs", "// change");
        var result = new AffectedDetector(_repo.Root).Detect(null, all: false);
        Assert.Equal([Project, "services/shared/Queue/Queue.cs"], result.ChangedFiles);
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(result));
    }
}
