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

    public static string Command { get; private set; } = Bash;

    /// <summary>
    /// Reads the variable and removes it from this process's environment before any child starts: the build's own tests,
    /// run by a build that build.ps1 started, expected ./build.sh in every message (helper-131).
    /// </summary>
    public static void TakeFromEnvironment()
    {
        Command = For(Environment.GetEnvironmentVariable(Variable));
        Environment.SetEnvironmentVariable(Variable, null);
    }

    /// <summary>Only the two scripts' own names: the variable is printed in suggestions, so nothing else it holds is.</summary>
    internal static string For(string? variable) => variable == PowerShell ? PowerShell : Bash;
}
