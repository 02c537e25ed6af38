using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Planning;

/// <summary>Breaks a goal into jobs. The API validates what a planner proposes with the rules for explicit jobs.</summary>
public interface ITaskPlanner
{
    Task<IReadOnlyList<NewJob>> PlanAsync(string goal, CancellationToken cancellationToken);
}
