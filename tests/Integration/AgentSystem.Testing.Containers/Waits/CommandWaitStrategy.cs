namespace AgentSystem.Testing.Containers.Waits;

/// <summary>A command run inside the container exits with 0 (and, if given, prints the expected text).</summary>
public sealed class CommandWaitStrategy(IReadOnlyList<string> command, string? expectedOutput = null) : WaitStrategy
{
    private const int MaxQuotedOutput = 300;

    public override string Description =>
        $"`{string.Join(' ', command)}` to exit with code 0" + (expectedOutput is null ? string.Empty : $" and print '{expectedOutput}'");

    public override async Task<WaitCheck> CheckAsync(DockerContainer container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        var result = await container.ExecAsync(command, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded && (expectedOutput is null || result.Output.Combined.Contains(expectedOutput, StringComparison.Ordinal)))
        {
            return WaitCheck.Ready;
        }

        var output = result.Output.Combined.Trim();
        if (output.Length > MaxQuotedOutput)
        {
            output = output[..MaxQuotedOutput] + "...";
        }

        return WaitCheck.NotReady($"exit code {result.ExitCode}, output: {(output.Length == 0 ? "(none)" : output)}");
    }
}
