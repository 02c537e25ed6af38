using AgentSystem.Build.Monorepo;
using static AgentSystem.Build.Tests.Selected;

namespace AgentSystem.Build.Tests;

/// <summary>
/// Where MSBuild is subtle: items reaching outside a project's folder, Remove, deleted projects, imports through
/// Directory.Build.props, old-style projects. The scenarios follow dotnet-affected's test suite, on a generated repository
/// shaped like this one (gateway -> Defaults; orchestrator -> Defaults, Queue; worker -> Queue).
/// </summary>
public sealed class AffectedMsBuildTests : IDisposable
{
    private readonly TempRepo _repo = TempRepo.WithSampleMonorepo();

    public AffectedMsBuildTests() => _repo.Git("checkout", "-q", "-b", "feature");

    public void Dispose() => _repo.Dispose();

    private AffectedResult Detect() => new AffectedDetector(_repo.Root).Detect("HEAD", all: false);


    private void Gateway(string body) => _repo.Write("services/gateway/Gateway.csproj", TempRepo.ProjectWith(body, "../shared/Defaults/Defaults.csproj"));

    [Theory]
    [InlineData("linked/*.cs", "linked/Clock.cs", true)]
    [InlineData("linked/*.cs", "linked/deep/Clock.cs", false)]
    [InlineData("linked/**/*.cs", "linked/Clock.cs", true)]
    [InlineData("linked/**/*.cs", "linked/a/b/Clock.cs", true)]
    [InlineData("linked/**", "linked/a/b/data.json", true)]
    [InlineData("linked/**", "linkedother/data.json", false)]
    [InlineData("**/eng/common.props", "eng/common.props", true)]
    [InlineData("linked/Cl?ck.cs", "linked/Clock.cs", true)]
    [InlineData("linked/Clock.cs", "linked/clock.cs", false)]
    public void Globs_match_as_MSBuild_expands_them(string pattern, string path, bool matches)
    {
        Assert.Equal(matches, new Glob(pattern).Matches(path, ignoreCase: false));
    }

    [Theory]
    [InlineData("Compile", "linked/Clock.cs")]
    [InlineData("Content", "linked/site.css")]
    [InlineData("None", "linked/data.json")]
    [InlineData("EmbeddedResource", "linked/Strings.resx")]
    public void A_file_a_project_includes_by_a_glob_outside_its_folder_selects_it(string type, string file)
    {
        Gateway($"""<ItemGroup><{type} Include="../../linked/*{Path.GetExtension(file)}" /></ItemGroup>""");
        _repo.Write(file, "v1");
        _repo.Commit("linked");
        _repo.Append(file, "v2");
        var result = Detect();
        Assert.Equal(["gateway"], Names(result));
        Assert.Equal($"{file} -> glob ../../linked/*{Path.GetExtension(file)} in Gateway.csproj -> Gateway", Reason(result, "gateway"));
    }

    [Fact]
    public void A_deleted_file_a_recursive_glob_matched_selects_the_project()
    {
        Gateway("""<ItemGroup><Compile Include="..\..\linked\**\*.cs" /></ItemGroup>""");
        _repo.Write("linked/deep/er/Globbed.cs", "class Globbed {}");
        _repo.Commit("linked");
        _repo.Delete("linked/deep/er/Globbed.cs");
        Assert.Equal(["gateway"], Names(Detect()));
    }

    [Fact]
    public void Exclude_keeps_a_file_out_of_the_glob()
    {
        Gateway("""<ItemGroup><Compile Include="../../linked/**/*.cs" Exclude="../../linked/Old/**;../../linked/Skip.cs" /></ItemGroup>""");
        _repo.Write("linked/Old/Legacy.cs", "v1");
        _repo.Write("linked/Skip.cs", "v1");
        _repo.Write("linked/New/Clock.cs", "v1");
        _repo.Commit("linked");
        _repo.Append("linked/Old/Legacy.cs", "v2");
        _repo.Append("linked/Skip.cs", "v2");
        var excluded = Detect();
        Assert.Empty(excluded.Services);
        Assert.Contains(("linked/Old/Legacy.cs", "no project owns it"), excluded.Ignored);

        _repo.Append("linked/New/Clock.cs", "v2");
        Assert.Equal(["gateway"], Names(Detect()));
    }

    [Fact]
    public void An_explicit_item_outside_the_folder_deleted_selects_the_project()
    {
        Gateway("""<ItemGroup><None Include="../../shared-data/data.json" Link="data.json" CopyToOutputDirectory="PreserveNewest" /></ItemGroup>""");
        _repo.Write("shared-data/data.json", "{}");
        _repo.Commit("linked");
        _repo.Delete("shared-data/data.json");
        var result = Detect();
        Assert.Equal(["gateway"], Names(result));
        Assert.Equal("shared-data/data.json -> item ../../shared-data/data.json in Gateway.csproj -> Gateway", Reason(result, "gateway"));
    }

    [Fact]
    public void Any_item_type_that_names_a_file_counts_and_so_does_a_reference_hint_path()
    {
        Gateway("""
            <ItemGroup>
              <Protobuf Include="$(MSBuildThisFileDirectory)../../protos/jobs.proto" GrpcServices="Client" />
              <Reference Include="Vendor"><HintPath>../../libs/Vendor.dll</HintPath></Reference>
            </ItemGroup>
            """);
        _repo.Write("protos/jobs.proto", "syntax = \"proto3\";");
        _repo.Write("libs/Vendor.dll", "MZ");
        _repo.Commit("protos");
        _repo.Append("protos/jobs.proto", "\n");
        Assert.Equal(["gateway"], Names(Detect()));
        _repo.Commit("proto");
        _repo.Append("libs/Vendor.dll", "\n");
        Assert.Equal(["gateway"], Names(Detect()));
    }

    [Fact]
    public void A_path_behind_an_unknown_property_is_matched_by_what_follows_it()
    {
        Gateway("""<ItemGroup><Compile Include="$(RepoRoot)linked/*.cs" /></ItemGroup>""");
        _repo.Write("linked/Clock.cs", "v1");
        _repo.Commit("linked");
        _repo.Append("linked/Clock.cs", "v2");
        var result = Detect();
        Assert.Equal(["gateway"], Names(result));
        Assert.Contains("glob $(RepoRoot)linked/*.cs in Gateway.csproj", Reason(result, "gateway"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_deleted_project_file_still_referenced_selects_the_projects_that_reference_it()
    {
        _repo.Delete("services/shared/Queue/Queue.csproj");
        var result = Detect();
        Assert.Equal(["orchestrator", "worker"], Names(result));
        Assert.Equal("services/shared/Queue/Queue.csproj (deleted, still referenced) -> Worker", Reason(result, "worker"));
        Assert.Contains("tests/Unit/Queue.Tests/Queue.Tests.csproj", result.Projects);
    }

    [Fact]
    public void A_deleted_project_folder_selects_the_projects_that_referenced_it()
    {
        Directory.Delete(Path.Combine(_repo.Root, "services/shared/Defaults"), recursive: true);
        _repo.Commit("delete Defaults");
        var result = new AffectedDetector(_repo.Root).Detect("HEAD~1", all: false);
        Assert.Equal(["gateway", "orchestrator"], Names(result));
        Assert.Contains(("services/shared/Defaults/Defaults.cs", "no project owns it"), result.Ignored);
    }

    [Fact]
    public void A_project_referenced_through_a_glob_and_deleted_selects_the_referencing_project()
    {
        _repo.Write("services/worker/Worker.csproj", TempRepo.Project("../shared/*/*.csproj"));
        _repo.Commit("glob reference");
        _repo.Append("services/shared/Defaults/Defaults.cs", "// change");
        Assert.Contains("worker", Names(Detect()));
        _repo.Commit("change");
        _repo.Delete("services/shared/Defaults/Defaults.csproj");
        Assert.Contains("worker", Names(Detect()));
    }

    [Fact]
    public void A_file_imported_by_directory_build_props_transitively_selects_its_importers()
    {
        _repo.Write("Directory.Build.props", """<Project><Import Project="eng/common.props" /></Project>""");
        _repo.Write("eng/common.props", """<Project><Import Project="$(MSBuildThisFileDirectory)analyzers.props" /></Project>""");
        _repo.Write("eng/analyzers.props", "<Project />");
        _repo.Commit("imports");
        _repo.Append("eng/analyzers.props", "\n");
        var result = Detect();
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(result));
        Assert.Equal("eng/analyzers.props -> imported by eng/common.props -> Worker", Reason(result, "worker"));
        Assert.Contains("build/_build.csproj", result.Projects);
        Assert.DoesNotContain("services/frontend/package.json", result.Projects);
    }

    [Fact]
    public void A_file_imported_by_directory_build_targets_selects_its_importers()
    {
        _repo.Write("services/Directory.Build.targets", """<Project><Import Project="../eng/late.targets" Condition="Exists('../eng/late.targets')" /></Project>""");
        _repo.Write("eng/late.targets", "<Project />");
        _repo.Commit("imports");
        _repo.Delete("eng/late.targets");
        var result = Detect();
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(result));
        Assert.DoesNotContain("build/_build.csproj", result.Projects);
    }

    [Fact]
    public void Only_the_nearest_directory_build_props_applies_unless_it_imports_the_one_above()
    {
        _repo.Write("services/gateway/Directory.Build.props", "<Project />");
        _repo.Write("services/worker/Directory.Build.props",
            """<Project><Import Project="$([MSBuild]::GetPathOfFileAbove('Directory.Build.props', '$(MSBuildThisFileDirectory)../'))" /></Project>""");
        _repo.Commit("nested props");
        _repo.Append("Directory.Build.props", "\n");
        var result = Detect();
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(result));
        // The gateway's own props file shields it; it is selected only through Defaults, which reads the root file.
        var gateway = result.Services.Single(s => s.Name == "gateway").Reasons;
        Assert.Contains("Directory.Build.props (applies to the .NET projects below the root) -> Defaults -> Gateway", gateway);
        Assert.DoesNotContain("Directory.Build.props (applies to the .NET projects below the root) -> Gateway", gateway);
        Assert.Contains("Directory.Build.props -> imported by services/worker/Directory.Build.props -> Worker", result.Services.Single(s => s.Name == "worker").Reasons);
        Assert.Contains("Directory.Build.props (applies to the .NET projects below the root) -> Orchestrator", Reason(result, "orchestrator"), StringComparison.Ordinal);

        _repo.Commit("root");
        _repo.Append("services/gateway/Directory.Build.props", "\n");
        Assert.Equal(["gateway"], Names(Detect()));
    }

    [Fact]
    public void A_directory_build_props_added_or_deleted_selects_the_projects_below_it()
    {
        _repo.Write("services/shared/Directory.Build.props", "<Project />");
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(Detect()));
        _repo.Commit("props");
        _repo.Delete("services/shared/Directory.Build.props");
        var result = Detect();
        Assert.Equal(["gateway", "orchestrator", "worker"], Names(result));
        Assert.StartsWith("services/shared/Directory.Build.props (deleted; it applied to the .NET projects below services/shared/)", Reason(result, "worker"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_props_file_may_be_imported_through_an_unknown_property()
    {
        _repo.Write("services/worker/Worker.csproj", TempRepo.ProjectWith("""<Import Project="$(CustomImport)" Condition="'$(CustomImport)' != ''" />""", "../shared/Queue/Queue.csproj"));
        _repo.Write("eng/custom.props", "<Project />");
        _repo.Commit("custom");
        _repo.Append("eng/custom.props", "\n");
        var result = Detect();
        Assert.Equal(["worker"], Names(result));
        Assert.Equal("eng/custom.props (may be imported through $(CustomImport) in services/worker/Worker.csproj) -> Worker", Reason(result, "worker"));
    }

    [Theory]
    [InlineData("""<Compile Remove="Legacy/**" />""", "services/gateway/Legacy/Old.cs", "<Compile Remove=\"Legacy/**\"> in Gateway.csproj")]
    [InlineData("""<None Remove="notes.txt" />""", "services/gateway/notes.txt", "<None Remove=\"notes.txt\"> in Gateway.csproj")]
    public void A_file_the_project_removes_affects_nothing(string remove, string file, string removedBy)
    {
        Gateway($"<ItemGroup>{remove}</ItemGroup>");
        _repo.Write(file, "v1");
        _repo.Commit("remove");
        _repo.Append(file, "v2");
        var result = Detect();
        Assert.Empty(result.Services);
        Assert.Equal([(file, $"removed from its project by {removedBy}")], result.Ignored);
    }

    [Theory]
    [InlineData("""<ItemGroup Condition="'$(Configuration)' == 'Release'"><Compile Remove="Legacy/**" /></ItemGroup>""", "services/gateway/Legacy/Old.cs")]
    [InlineData("""<ItemGroup><Compile Remove="notes.txt" /></ItemGroup>""", "services/gateway/notes.txt")]
    [InlineData("""<ItemGroup><Compile Remove="Legacy/**" /><Compile Include="Legacy/Kept.cs" /></ItemGroup>""", "services/gateway/Legacy/Kept.cs")]
    public void A_remove_that_is_conditional_of_another_type_or_undone_still_selects(string items, string file)
    {
        Gateway(items);
        _repo.Write(file, "v1");
        _repo.Commit("remove");
        _repo.Append(file, "v2");
        Assert.Equal(["gateway"], Names(Detect()));
    }

    [Fact]
    public void An_old_style_project_takes_only_the_files_it_lists()
    {
        _repo.Write("services/legacy/Legacy.csproj", """
            <Project ToolsVersion="14.0" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">
              <Import Project="$(MSBuildExtensionsPath)\$(MSBuildToolsVersion)\Microsoft.Common.props" />
              <ItemGroup><Compile Include="file.cs" /></ItemGroup>
              <Import Project="$(MSBuildToolsPath)\Microsoft.CSharp.targets" />
            </Project>
            """);
        _repo.Write("services/legacy/file.cs", "v1");
        _repo.Write("services/legacy/notes.txt", "v1");
        _repo.Commit("legacy");
        _repo.Delete("services/legacy/notes.txt");
        var result = Detect();
        Assert.Empty(result.Services);
        Assert.Contains("an old-style project that lists its files", result.Ignored.Single().Why, StringComparison.Ordinal);
        _repo.Delete("services/legacy/file.cs");
        Assert.Equal(["legacy"], Names(Detect()));
    }

    [Fact]
    public void A_file_moved_between_projects_selects_both()
    {
        _repo.Write("services/worker/Moved.cs", string.Join('\n', Enumerable.Range(0, 50).Select(i => $"// line {i}")));
        _repo.Commit("movable");
        File.Move(Path.Combine(_repo.Root, "services/worker/Moved.cs"), Path.Combine(_repo.Root, "services/gateway/Moved.cs"));
        _repo.Git("add", "-A");
        Assert.Equal(["gateway", "worker"], Names(Detect()));
    }

    [Theory]
    [InlineData(".fsproj", "Library.fs")]
    [InlineData(".vbproj", "Library.vb")]
    public void FSharp_and_Visual_Basic_projects_are_projects(string extension, string source)
    {
        _repo.Write($"services/shared/Lib/Lib{extension}", TempRepo.ProjectWith($"""<ItemGroup><Compile Include="{source}" /></ItemGroup>"""));
        _repo.Write($"services/shared/Lib/{source}", "v1");
        _repo.Write("services/worker/Worker.csproj", TempRepo.Project("../shared/Queue/Queue.csproj", $"../shared/Lib/Lib{extension}"));
        _repo.Commit("lib");
        _repo.Append($"services/shared/Lib/{source}", "v2");
        var result = Detect();
        Assert.Equal(["worker"], Names(result));
        Assert.Equal($"services/shared/Lib/{source} -> Lib -> Worker", Reason(result, "worker"));
    }

    [Fact]
    public void Through_a_symbolic_link_to_the_repository_a_deleted_file_is_still_attributed()
    {
        var link = Path.Combine(Path.GetTempPath(), $"affected-link-{Guid.NewGuid():N}");
        Directory.CreateSymbolicLink(link, _repo.Root);
        try
        {
            Gateway("""<ItemGroup><Compile Include="/LINK/linked/*.cs" /></ItemGroup>""".Replace("/LINK", _repo.Root, StringComparison.Ordinal));
            _repo.Write("linked/Clock.cs", "v1");
            _repo.Commit("absolute");
            _repo.Delete("services/worker/Program.cs");
            _repo.Delete("linked/Clock.cs");
            var result = new AffectedDetector(link).Detect("HEAD", all: false);
            Assert.Equal(["gateway", "worker"], Names(result));
        }
        finally
        {
            Directory.Delete(link);
        }
    }
}
