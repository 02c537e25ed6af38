using AgentSystem.Store;

namespace AgentSystem.Orchestrator.Planning;

/// <summary>Breaks a goal into jobs. The API validates what a planner proposes with the rules for explicit jobs.</summary>
public interface ITaskPlanner
{
    /// <summary>
    /// The jobs for <paramref name="goal"/>; <paramref name="owner"/> is the API key the task comes with (null: none),
    /// whose chat quota what the planner stores in chat counts against.
    /// </summary>
    Task<IReadOnlyList<NewJob>> PlanAsync(string goal, string? owner, CancellationToken cancellationToken);
}
