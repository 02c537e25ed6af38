using System.Diagnostics;
using AgentSystem.Build.Engine;

namespace AgentSystem.Build.Tests;

public class ProcessRunnerTests
{
    [Fact]
    public void Capture_returns_output_and_exit_code()
    {
        var result = ProcessRunner.Capture("sh", ["-c", "echo out; echo err >&2; exit 3"]);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out", result.Output.Trim());
        Assert.Equal("err", result.Error.Trim());
    }

    [Fact]
    public void A_logged_command_names_the_variables_it_was_given_but_not_a_secrets_value()
    {
        var log = Path.Combine(Directory.CreateTempSubdirectory("run-to-log-").FullName, "step.log");

        var exitCode = ProcessRunner.RunToLog("sh", ["-c", "echo \"$AGENTSYSTEM_IMAGE_REDIS\""], log, environment: new Dictionary<string, string>
        {
            ["AGENTSYSTEM_IMAGE_REDIS"] = "agentsystem-base/redis:7",
            ["AGENTSYSTEM_API_KEY"] = "a-key-of-mine",
            ["AGENTSYSTEM_GATEWAY_PORT"] = "",
            ["NOTE"] = "it's two words",
        });

        Assert.Equal(0, exitCode);
        Assert.Equal(
            ["$ AGENTSYSTEM_API_KEY=*** AGENTSYSTEM_GATEWAY_PORT='' AGENTSYSTEM_IMAGE_REDIS=agentsystem-base/redis:7 NOTE='it'\\''s two words' sh -c echo \"$AGENTSYSTEM_IMAGE_REDIS\"", "agentsystem-base/redis:7"],
            File.ReadAllLines(log));
    }

    [Fact]
    public void Run_throws_with_the_exit_code_when_the_tool_fails()
    {
        var exception = Assert.Throws<ToolFailedException>(() => ProcessRunner.Run("sh", ["-c", "exit 4"]));
        Assert.Equal(4, exception.ExitCode);
    }

    [Fact]
    public void A_missing_tool_says_so()
    {
        var exception = Assert.Throws<ToolFailedException>(() => ProcessRunner.Run("no-such-tool-here", []));
        Assert.Contains("Is it installed and on PATH?", exception.Message);
    }

    [Fact]
    public void Cancellation_kills_the_child_and_its_children()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"child-{Guid.NewGuid():N}");
        using var cancellation = new CancellationTokenSource();
        // The grandchild would write the marker after 3 s if it survived the kill.
        var task = Task.Run(() => ProcessRunner.Run("sh", ["-c", $"(sleep 3; touch {marker}) & sleep 60"], cancellationToken: cancellation.Token));
        Thread.Sleep(300);
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => task.GetAwaiter().GetResult());
        Thread.Sleep(3500);
        Assert.False(File.Exists(marker), "the grandchild outlived the cancellation");
    }

    [Fact]
    public void Cancelled_a_tool_given_a_stop_grace_is_asked_to_stop_and_cleans_up()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"stopped-{Guid.NewGuid():N}");
        using var cancellation = new CancellationTokenSource();
        // Its clean-up on SIGTERM: what the load harness does with its services and containers.
        var task = Task.Run(() => ProcessRunner.Run("sh", ["-c", $"trap 'echo cleaned > {marker}; exit 0' TERM; echo > {marker}.ready; while :; do sleep 0.1; done"],
            null, null, TimeSpan.FromSeconds(30), cancellation.Token));
        WaitFor(marker + ".ready");
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult());
        Assert.Equal("cleaned", File.ReadAllText(marker).Trim());
        File.Delete(marker);
        File.Delete(marker + ".ready");
    }

    [Fact]
    public void A_tool_still_running_after_its_stop_grace_is_killed()
    {
        var ready = Path.Combine(Path.GetTempPath(), $"deaf-{Guid.NewGuid():N}");
        using var cancellation = new CancellationTokenSource();
        var task = Task.Run(() => ProcessRunner.Run("sh", ["-c", $"trap '' TERM; echo > {ready}; while :; do sleep 0.1; done"], null, null, TimeSpan.FromSeconds(1), cancellation.Token));
        WaitFor(ready);
        cancellation.Cancel();

        // Without the kill it would run until the 60 s bound ends the wait (a TimeoutException, not a cancellation).
        Assert.ThrowsAny<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult());        File.Delete(ready);
    }

    [Theory]
    [InlineData("/work/plain-path_1.2")]
    [InlineData("/work/it's here; touch pwned")]
    [InlineData("/work/$(id) `id` \"quoted\"")]
    public void A_shell_word_reaches_the_shell_as_the_one_word_it_was(string path)
    {
        var heard = ProcessRunner.Capture("sh", ["-c", $"printf %s {ShellCommand.Word(path)}"]).Output;

        Assert.Equal(path, heard);
    }

    // Until the script has set its trap: a signal before it would end it the default way.
    private static void WaitFor(string file)
    {
        for (var waited = 0; !File.Exists(file); waited += 50)
        {
            Assert.True(waited < 60_000, $"{file} never appeared");
            Thread.Sleep(50);
        }
    }
}
