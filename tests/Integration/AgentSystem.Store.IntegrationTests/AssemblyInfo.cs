using AgentSystem.Testing.Containers.Fixtures;

// Removes this run's containers before `dotnet test` tears the test host down (see ContainersTestFramework).
[assembly: TestFramework(ContainersTestFramework.TypeName, ContainersTestFramework.AssemblyName)]
