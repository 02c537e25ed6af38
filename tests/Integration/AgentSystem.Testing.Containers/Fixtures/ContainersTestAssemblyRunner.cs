using AgentSystem.Testing.Containers.Engine;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace AgentSystem.Testing.Containers.Fixtures;

/// <summary>xunit's assembly runner that removes the session's resources after the last test, before reporting the end.</summary>
internal sealed class ContainersTestAssemblyRunner(
    ITestAssembly testAssembly,
    IEnumerable<IXunitTestCase> testCases,
    IMessageSink diagnosticMessageSink,
    IMessageSink executionMessageSink,
    ITestFrameworkExecutionOptions executionOptions)
    : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
{
    protected override async Task BeforeTestAssemblyFinishedAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(DockerEnvironment.ExitCleanupTimeout);
            var removed = await DockerEnvironment.CleanUpSessionAsync(timeout.Token).ConfigureAwait(false);
            DiagnosticMessageSink.OnMessage(new DiagnosticMessage($"[AgentSystem.Testing.Containers] end of run: removed {removed.Containers} container(s), {removed.Networks} network(s), {removed.Volumes} volume(s)"));
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            // Never fail a finished run over clean-up: the next session's sweep removes what is left.
            DiagnosticMessageSink.OnMessage(new DiagnosticMessage($"[AgentSystem.Testing.Containers] end-of-run clean-up failed: {ex.Message}"));
        }

        await base.BeforeTestAssemblyFinishedAsync().ConfigureAwait(false);
    }
}
