using AgentSystem.Build.Monorepo;
using static AgentSystem.Build.Tests.Selected;

namespace AgentSystem.Build.Tests;

/// <summary>
/// Central package versions (Directory.Packages.props, root and nested): only the projects that reference a changed
/// package are affected, with their dependents; what a static reading cannot decide selects everything and says why.
/// Scenarios after dotnet-affected's CentralPackageManagementDetection(Nested)Tests.
/// </summary>
public sealed class AffectedPackageTests : IDisposable
{
    private readonly TempRepo _repo = TempRepo.WithSampleMonorepo();

    public AffectedPackageTests()
    {
        _repo.Write("Directory.Packages.props", Packages(("Npgsql", "10.0.0"), ("Polly", "8.9.1")));
        _repo.Write("services/shared/Queue/Queue.csproj", TempRepo.ProjectWith("""<ItemGroup><PackageReference Include="Npgsql" /></ItemGroup>"""));
        _repo.Write("services/gateway/Gateway.csproj", TempRepo.ProjectWith("""<ItemGroup><PackageReference Include="polly" /></ItemGroup>""", "../shared/Defaults/Defaults.csproj"));
        _repo.Commit("packages");
        _repo.Git("checkout", "-q", "-b", "feature");
    }

    public void Dispose() => _repo.Dispose();

    private static string Packages(params (string Name, string Version)[] versions) =>
        $"<Project><ItemGroup>{string.Concat(versions.Select(v => $"<PackageVersion Include=\"{v.Name}\" Version=\"{v.Version}\" />"))}</ItemGroup></Project>";

    private AffectedResult Detect() => new AffectedDetector(_repo.Root).Detect("HEAD", all: false);


    [Fact]
    public void A_version_change_selects_the_projects_that_reference_the_package_and_their_dependents()
    {
        _repo.Write("Directory.Packages.props", Packages(("Npgsql", "10.0.1"), ("Polly", "8.9.1")));
        var result = Detect();
        Assert.False(result.All);
        Assert.Equal(["orchestrator", "worker"], Names(result));
        Assert.Equal("Directory.Packages.props: Npgsql 10.0.0 to 10.0.1 -> Queue -> Worker", Reason(result, "worker"));
        Assert.Contains("tests/Unit/Queue.Tests/Queue.Tests.csproj", result.Projects);
        Assert.DoesNotContain("services/gateway/Gateway.csproj", result.Projects);
    }

    [Fact]
    public void Package_ids_compare_without_case()
    {
        _repo.Write("Directory.Packages.props", Packages(("Npgsql", "10.0.0"), ("Polly", "8.9.2")));
        Assert.Equal(["gateway"], Names(Detect()));
    }

    [Fact]
    public void A_package_deleted_or_added_that_is_referenced_selects_its_projects()
    {
        _repo.Write("Directory.Packages.props", Packages(("Polly", "8.9.1")));
        var result = Detect();
        Assert.Equal(["orchestrator", "worker"], Names(result));
        Assert.StartsWith("Directory.Packages.props: Npgsql 10.0.0 to (none)", Reason(result, "worker"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_package_no_project_references_selects_nothing_and_says_so()
    {
        _repo.Write("Directory.Packages.props", Packages(("Npgsql", "10.0.0"), ("Polly", "8.9.1"), ("Other.Library", "2.0.0")));
        var result = Detect();
        Assert.Empty(result.Services);
        Assert.Empty(result.Projects);
        Assert.Equal([("Directory.Packages.props", "no project references a package whose version changed")], result.Ignored);
    }

    [Fact]
    public void A_project_that_sets_its_own_version_is_not_affected()
    {
        _repo.Write("services/shared/Queue/Queue.csproj", TempRepo.ProjectWith("""
            <PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
            <ItemGroup><PackageReference Include="Npgsql" Version="9.0.0" /></ItemGroup>
            """));
        _repo.Write("services/worker/Worker.csproj", TempRepo.ProjectWith("""<ItemGroup><PackageReference Include="Npgsql" VersionOverride="9.0.0" /></ItemGroup>""", "../shared/Queue/Queue.csproj"));
        _repo.Commit("opt out");
        _repo.Write("Directory.Packages.props", Packages(("Npgsql", "10.0.1"), ("Polly", "8.9.1")));
        Assert.Empty(Detect().Services);
    }

    [Fact]
    public void A_package_referenced_in_directory_build_props_reaches_every_project_that_imports_it()
    {
        _repo.Write("services/Directory.Build.props", """<Project><ItemGroup><PackageReference Include="Polly" /></ItemGroup></Project>""");
        _repo.Commit("props");
        _repo.Write("Directory.Packages.props", Packages(("Npgsql", "10.0.0"), ("Polly", "8.9.2")));
        var result = Detect();
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(result));
        Assert.DoesNotContain("build/_build.csproj", result.Projects);
    }

    [Fact]
    public void A_global_package_reference_reaches_every_project_under_the_file()
    {
        _repo.Write("Directory.Packages.props", """<Project><ItemGroup><GlobalPackageReference Include="Nerdbank.GitVersioning" Version="3.7.0" /></ItemGroup></Project>""");
        var result = Detect();
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(result));
        Assert.Contains("build/_build.csproj", result.Projects);
    }

    [Fact]
    public void A_nested_file_affects_only_the_projects_below_it()
    {
        _repo.Write("services/worker/Directory.Packages.props",
            """<Project><Import Project="$([MSBuild]::GetPathOfFileAbove(Directory.Packages.props, $(MSBuildThisFileDirectory)..))" /><ItemGroup><PackageVersion Update="Npgsql" Version="10.0.0" /></ItemGroup></Project>""");
        _repo.Write("services/worker/Worker.csproj", TempRepo.ProjectWith("""<ItemGroup><PackageReference Include="Npgsql" /></ItemGroup>""", "../shared/Queue/Queue.csproj"));
        _repo.Commit("nested");

        _repo.Write("services/worker/Directory.Packages.props",
            """<Project><Import Project="$([MSBuild]::GetPathOfFileAbove(Directory.Packages.props, $(MSBuildThisFileDirectory)..))" /><ItemGroup><PackageVersion Update="Npgsql" Version="10.0.2" /></ItemGroup></Project>""");
        var nested = Detect();
        Assert.Equal(["worker"], Names(nested));
        Assert.Equal("services/worker/Directory.Packages.props: Npgsql 10.0.0 to 10.0.2 -> Worker", Reason(nested, "worker"));

        _repo.Commit("nested change");
        _repo.Write("Directory.Packages.props", Packages(("Npgsql", "10.0.3"), ("Polly", "8.9.1")));
        // The worker's own Npgsql stays pinned by its Update; it is selected through Queue, which reads the root file.
        Assert.Equal(["orchestrator", "worker"], Names(Detect()));
    }

    [Fact]
    public void A_nested_file_added_or_removed_changes_what_the_projects_below_it_resolve()
    {
        _repo.Write("services/shared/Queue/Directory.Packages.props", Packages(("Npgsql", "9.0.0")));
        var added = Detect();
        Assert.Equal(["orchestrator", "worker"], Names(added));
        Assert.StartsWith("services/shared/Queue/Directory.Packages.props: Npgsql 10.0.0 to 9.0.0", Reason(added, "worker"), StringComparison.Ordinal);

        _repo.Commit("nested");
        _repo.Delete("services/shared/Queue/Directory.Packages.props");
        Assert.Equal(["orchestrator", "worker"], Names(Detect()));
        _repo.Commit("nested removed");
        Assert.Equal(["orchestrator", "worker"], Names(new AffectedDetector(_repo.Root).Detect("HEAD~1", all: false)));
    }

    [Fact]
    public void Packages_swapped_between_root_and_nested_files_are_compared_per_project()
    {
        _repo.Write("services/shared/Queue/Directory.Packages.props", Packages(("Npgsql", "3.0.0")));
        _repo.Write("Directory.Packages.props", Packages(("Other.Library", "2.5.0"), ("Polly", "8.9.1")));
        _repo.Commit("nested");
        _repo.Write("services/shared/Queue/Directory.Packages.props", Packages(("Other.Library", "3.5.0")));
        _repo.Write("Directory.Packages.props", Packages(("Npgsql", "2.0.0"), ("Polly", "8.9.1")));
        var result = Detect();
        Assert.Equal(["orchestrator", "worker"], Names(result));
        Assert.StartsWith("services/shared/Queue/Directory.Packages.props: Npgsql 3.0.0 to (none)", Reason(result, "worker"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""<Project><ItemGroup Condition="'$(TargetFramework)' == 'net10.0'"><PackageVersion Include="Npgsql" Version="VERSION" /></ItemGroup></Project>""", "the version of Npgsql is conditional ('$(TargetFramework)' == 'net10.0')")]
    [InlineData("""<Project><PropertyGroup><NpgsqlVersion>VERSION</NpgsqlVersion></PropertyGroup><ItemGroup><PackageVersion Include="Npgsql" Version="$(NpgsqlVersion)" /></ItemGroup></Project>""", "changed beyond PackageVersion items")]
    [InlineData("""<Project><ItemGroup><PackageVersion Include="Npgsql" Version="$(NpgsqlVersion)" /><PackageVersion Include="Polly" Version="VERSION" /></ItemGroup></Project>""", null)]
    public void What_a_static_reading_cannot_decide_selects_everything_and_says_why(string template, string? why)
    {
        _repo.Write("Directory.Packages.props", template.Replace("VERSION", "10.0.0", StringComparison.Ordinal));
        _repo.Commit("template");
        _repo.Write("Directory.Packages.props", template.Replace("VERSION", "10.0.1", StringComparison.Ordinal));
        var result = Detect();
        if (why is null)
        {
            // The property is unchanged and only Polly's literal version moved: that much is decidable.
            Assert.False(result.All);
            Assert.Equal(["gateway"], Names(result));
            return;
        }
        Assert.True(result.All);
        Assert.Contains(why, result.AllReason, StringComparison.Ordinal);
        Assert.EndsWith("everything selected", result.AllReason, StringComparison.Ordinal);
        Assert.StartsWith("Directory.Packages.props: ", Reason(result, "frontend"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Directory.Build.props")]
    [InlineData("Directory.Packages.props")]
    public void Transitive_pinning_selects_everything_and_says_why(string setIn)
    {
        const string Pinning = "<PropertyGroup><CentralPackageTransitivePinningEnabled>true</CentralPackageTransitivePinningEnabled></PropertyGroup>";
        string WithPinning(string packages) => setIn == "Directory.Packages.props" ? packages.Replace("<Project>", "<Project>" + Pinning, StringComparison.Ordinal) : packages;
        if (setIn == "Directory.Build.props")
        {
            _repo.Write(setIn, $"<Project>{Pinning}</Project>");
        }

        _repo.Write("Directory.Packages.props", WithPinning(Packages(("Npgsql", "10.0.0"), ("Polly", "8.9.1"))));
        _repo.Commit("pinning");
        _repo.Write("Directory.Packages.props", WithPinning(Packages(("Npgsql", "10.0.1"), ("Polly", "8.9.1"))));
        var result = Detect();
        Assert.True(result.All);
        Assert.Contains("CentralPackageTransitivePinningEnabled", result.AllReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Through_a_symbolic_link_to_the_repository_package_changes_are_found()
    {
        var link = Path.Combine(Path.GetTempPath(), $"affected-link-{Guid.NewGuid():N}");
        Directory.CreateSymbolicLink(link, _repo.Root);
        try
        {
            _repo.Write("Directory.Packages.props", Packages(("Npgsql", "10.0.1"), ("Polly", "8.9.1")));
            Assert.Equal(["orchestrator", "worker"], Names(new AffectedDetector(link).Detect("HEAD", all: false)));
        }
        finally
        {
            Directory.Delete(link);
        }
    }
}
