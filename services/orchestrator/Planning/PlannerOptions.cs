namespace AgentSystem.Orchestrator.Planning;

/// <summary>Section "Planner". The deterministic planner is the default; see README.md for its rule.</summary>
public sealed class PlannerOptions
{
    public const string SectionName = "Planner";

    /// <summary>Ask the chat service to break goals into jobs (falls back to the deterministic plan when it cannot).</summary>
    public bool UseLlm { get; set; }

    /// <summary>The deterministic planner adds an <c>llm</c> job (the whole goal as the prompt).</summary>
    public bool IncludeLlmJob { get; set; }

    /// <summary>The chat service, asked by the LLM planner (<c>POST {ChatUrl}/chat</c>).</summary>
    public Uri ChatUrl { get; set; } = new("http://localhost:3001");

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);
}
