using AgentSystem.Build.Docker;

namespace AgentSystem.Build.Tests;

public class BuildKitProgressTests
{
    /// <summary>What docker build --progress=plain printed for a build whose publish step failed (shortened).</summary>
    private const string FailedBuild = """
        #1 [internal] load build definition from Dockerfile
        #1 DONE 0.0s
        #5 [build 2/10] WORKDIR /src
        #5 CACHED
        #6 [build 6/10] RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages     dotnet restore services/gateway/AgentSystem.Gateway.csproj
        #6 sha256:fa6441456c1ea742e087ee590af41432f913d9d8c2ed8cf8bbd5a104c76596d2
        #6 4.895   Determining projects to restore...
        #6 27.53   Restored /src/services/gateway/AgentSystem.Gateway.csproj (in 17.71 sec).
        #6 DONE 28.1s
        #9 [build 10/10] RUN dotnet publish services/gateway/AgentSystem.Gateway.csproj
        #9 12.20 Program.cs(3,1): error CS0103: The name 'oops' does not exist in the current context
        #9 ERROR: executor failed running [/bin/sh -c dotnet publish services/gateway/AgentSystem.Gateway.csproj]: exit code: 1
        ------
         > [build 10/10] RUN dotnet publish services/gateway/AgentSystem.Gateway.csproj:
        ------
        error: failed to solve: exit code: 1
        """;

    [Fact]
    public void Each_dockerfile_step_is_read_with_its_time_cached_or_its_error()
    {
        var progress = Read(FailedBuild);

        Assert.Equal([
            "[build 2/10] WORKDIR /src|cached|",
            "[build 6/10] RUN dotnet restore services/gateway/AgentSystem.Gateway.csproj|28.1|",
            "[build 10/10] RUN dotnet publish services/gateway/AgentSystem.Gateway.csproj||executor failed running [/bin/sh -c dotnet publish services/gateway/AgentSystem.Gateway.csproj]: exit code: 1",
        ], progress.Steps.Where(s => s.IsDockerfileStep)
            .Select(s => $"{s.DisplayName}|{(s.Cached ? "cached" : s.Duration?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))}|{s.Error}"));
    }

    /// <summary>Several builds run at once: each prints one line when done, not a line per step (walk: ~90 interleaved lines).</summary>
    [Fact]
    public void A_build_is_one_line_up_to_date_or_built_with_its_slowest_step()
    {
        const string Cached = """
            #1 [internal] load build definition from Dockerfile
            #1 DONE 0.1s
            #9 [build 1/3] FROM docker.io/agentsystem-base/sdk:10.0
            #9 DONE 0.0s
            #10 [build 2/3] WORKDIR /src
            #10 CACHED
            #11 [build 3/3] RUN dotnet publish
            #11 CACHED
            """;
        const string Id = "sha256:1a2b3c4d5e6f7a8b9c";
        var upToDate = ServiceImageBuilder.Outcome(built: false, TimeSpan.FromSeconds(2.1), Id, 38_200_000, Read(Cached).Steps);
        Assert.Equal("up to date in 2.1s: 1a2b3c4d5e6f, 38.2 MB, 2/2 steps cached", upToDate);   // the FROM is not counted (helper-63)

        var rebuilt = Cached.Replace("#11 CACHED", "#11 DONE 58.1s", StringComparison.Ordinal);
        var built = ServiceImageBuilder.Outcome(built: true, TimeSpan.FromSeconds(61), Id, 38_200_000, Read(rebuilt).Steps);
        Assert.Equal("built in 1m01s: 1a2b3c4d5e6f, 38.2 MB, 1/2 steps cached; slowest [build 3/3] RUN dotnet publish 58.1s", built);

        // Built with no step that took time (new labels on cached layers): no "slowest FROM ... 0.0s".
        var relabelled = ServiceImageBuilder.Outcome(built: true, TimeSpan.FromSeconds(2.9), Id, 38_200_000, Read(Cached).Steps);
        Assert.Equal("built in 2.9s: 1a2b3c4d5e6f, 38.2 MB, 2/2 steps cached", relabelled);
    }

    private static BuildKitProgress Read(string output)
    {
        var progress = new BuildKitProgress();
        foreach (var line in output.Split('\n'))
        {
            progress.Read(line);
        }

        return progress;
    }

    [Fact]
    public void A_failure_names_the_failing_step_and_keeps_its_output()
    {
        var progress = Read(FailedBuild);
        var failed = Assert.IsType<BuildStep>(progress.Failed);
        Assert.Equal("[build 10/10] RUN dotnet publish services/gateway/AgentSystem.Gateway.csproj", failed.DisplayName);
        Assert.Equal(["Program.cs(3,1): error CS0103: The name 'oops' does not exist in the current context"], failed.Output);
        Assert.Null(progress.Running);
    }

    [Fact]
    public void The_step_that_has_started_and_not_finished_is_the_running_one()
    {
        var progress = new BuildKitProgress();
        foreach (var line in FailedBuild.Split('\n').Take(10))
        {
            progress.Read(line);
        }

        Assert.Equal("[build 10/10] RUN dotnet publish services/gateway/AgentSystem.Gateway.csproj", progress.Running?.DisplayName);
    }
}
