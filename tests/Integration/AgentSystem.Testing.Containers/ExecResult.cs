namespace AgentSystem.Testing.Containers;

/// <summary>How a command run inside a container ended.</summary>
public sealed record ExecResult(int ExitCode, ContainerOutput Output)
{
    public bool Succeeded => ExitCode == 0;

    public string Stdout => Output.Stdout;

    public string Stderr => Output.Stderr;

    public override string ToString() => $"exit code {ExitCode}: {Output.Combined.Trim()}";
}
