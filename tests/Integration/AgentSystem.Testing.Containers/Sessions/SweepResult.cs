namespace AgentSystem.Testing.Containers.Sessions;

/// <summary>What a sweep removed.</summary>
public sealed record SweepResult(int Sessions, int Containers, int Networks, int Volumes)
{
    public static SweepResult None { get; } = new(0, 0, 0, 0);

    public int Total => Containers + Networks + Volumes;

    public override string ToString() =>
        $"swept {Containers} container(s), {Networks} network(s), {Volumes} volume(s) of {Sessions} abandoned test session(s)";
}
