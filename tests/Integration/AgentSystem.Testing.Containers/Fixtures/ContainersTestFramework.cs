using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace AgentSystem.Testing.Containers.Fixtures;

/// <summary>
/// xunit 2's test framework with one addition: when the assembly's tests are done, and before the run reports its end,
/// the session's containers, networks and volumes are removed (see <see cref="DockerEnvironment.CleanUpSessionAsync"/>).
/// xunit 2 has no assembly fixtures, and `dotnet test` kills the test host about 100 ms after the run, so an exit
/// handler alone leaves the shared containers behind until the next run's sweep. Opt in once per test assembly:
/// <code>[assembly: TestFramework(ContainersTestFramework.TypeName, ContainersTestFramework.AssemblyName)]</code>
/// </summary>
public sealed class ContainersTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    public const string TypeName = "AgentSystem.Testing.Containers.Fixtures.ContainersTestFramework";
    public const string AssemblyName = "AgentSystem.Testing.Containers";

    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new ContainersTestFrameworkExecutor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);
}
