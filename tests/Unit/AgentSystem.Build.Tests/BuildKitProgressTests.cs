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
    public void Each_dockerfile_step_is_reported_once_as_it_finishes_with_its_time_or_cached()
    {
        var finished = new List<string>();
        var progress = new BuildKitProgress(step => { if (step.IsDockerfileStep) { finished.Add($"{step.DisplayName}|{(step.Cached ? "cached" : step.Duration?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))}|{step.Error}"); } });
        foreach (var line in FailedBuild.Split('\n'))
        {
            progress.Read(line);
        }

        Assert.Equal([
            "[build 2/10] WORKDIR /src|cached|",
            "[build 6/10] RUN dotnet restore services/gateway/AgentSystem.Gateway.csproj|28.1|",
            "[build 10/10] RUN dotnet publish services/gateway/AgentSystem.Gateway.csproj||executor failed running [/bin/sh -c dotnet publish services/gateway/AgentSystem.Gateway.csproj]: exit code: 1",
        ], finished);
    }

    [Fact]
    public void A_failure_names_the_failing_step_and_keeps_its_output()
    {
        var progress = new BuildKitProgress(_ => { });
        foreach (var line in FailedBuild.Split('\n'))
        {
            progress.Read(line);
        }

        var failed = Assert.IsType<BuildStep>(progress.Failed);
        Assert.Equal("[build 10/10] RUN dotnet publish services/gateway/AgentSystem.Gateway.csproj", failed.DisplayName);
        Assert.Equal(["Program.cs(3,1): error CS0103: The name 'oops' does not exist in the current context"], failed.Output);
        Assert.Null(progress.Running);
    }

    [Fact]
    public void The_step_that_has_started_and_not_finished_is_the_running_one()
    {
        var progress = new BuildKitProgress(_ => { });
        foreach (var line in FailedBuild.Split('\n').Take(10))
        {
            progress.Read(line);
        }

        Assert.Equal("[build 10/10] RUN dotnet publish services/gateway/AgentSystem.Gateway.csproj", progress.Running?.DisplayName);
    }
}
