using AgentSystem.Testing.Containers.Fixtures;

// Removes this run's containers before `dotnet test` tears the test host down (see ContainersTestFramework).
[assembly: TestFramework(ContainersTestFramework.TypeName, ContainersTestFramework.AssemblyName)]
// One system is started for the whole assembly; its tests share it and must not run at the same time as each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
