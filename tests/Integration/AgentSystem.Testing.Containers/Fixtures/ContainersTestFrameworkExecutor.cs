using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace AgentSystem.Testing.Containers.Fixtures;

/// <summary>Runs the assembly with <see cref="ContainersTestAssemblyRunner"/>; otherwise xunit's own executor.</summary>
internal sealed class ContainersTestFrameworkExecutor(
    AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
    : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
{
    // async void as in xunit's own executor: the runner reports completion through the message sink, not a task.
    protected override async void RunTestCases(
        IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
    {
        using var runner = new ContainersTestAssemblyRunner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
        await runner.RunAsync().ConfigureAwait(false);
    }
}
