namespace AgentSystem.Build.Engine;

/// <summary>
/// The script the user started the build with, for the commands its messages suggest: build.ps1 and build.sh each name
/// themselves in <see cref="Variable"/>; run any other way (an IDE, <c>dotnet run</c>, the tests), ./build.sh.
/// </summary>
internal static class BuildScript
{
    public const string Variable = "AGENTSYSTEM_BUILD_SCRIPT";

    private const string Bash = "./build.sh";
    private const string PowerShell = "./build.ps1";

    public static string Command { get; } = For(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Only the two scripts' own names: the variable is printed in suggestions, so nothing else it holds is.</summary>
    internal static string For(string? variable) => variable == PowerShell ? PowerShell : Bash;
}
